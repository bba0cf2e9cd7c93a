import { describe, expect, it } from 'vitest';
import { CarrelError, TransportError } from '../../../src/core/errors.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import { ByteCollector } from '../../helpers/byte-collector.js';
import { transportContract } from './contract.js';

transportContract('MockTransport', async () => {
  const transport = new MockTransport('mock://printer');
  const written = new ByteCollector();
  transport.onWrite = (data) => written.push(data);
  return {
    transport,
    connected: async () => ({
      send: async (bytes) => transport.inject(bytes),
      take: (length, within) => written.take(length, within),
    }),
    drop: async () => transport.drop(),
    unreachable: () => {
      const stray = new MockTransport('mock://nowhere');
      stray.refuseOpen = new TransportError('refused', 'mock://nowhere: refused');
      return stray;
    },
    cleanup: async () => {},
  };
});

describe('BaseTransport', () => {
  it('passes on an open failure that is not a link problem with its own code', async () => {
    const transport = new MockTransport();
    transport.refuseOpen = new CarrelError('native_module_missing', "native module 'serialport' …");
    await expect(transport.open()).rejects.toMatchObject({ code: 'native_module_missing' });
    expect(transport.isOpen).toBe(false);
  });

  it('turns an errno from open into a TransportError with that code', async () => {
    const transport = new MockTransport();
    transport.refuseOpen = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const failure = await transport.open().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({ code: 'econnrefused' });
  });
});
