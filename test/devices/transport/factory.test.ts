import { describe, expect, expectTypeOf, it } from 'vitest';
import { createTransport, type TransportSpec } from '../../../src/devices/transport/factory.js';
import { LpTransport } from '../../../src/devices/transport/lp.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { type TransportConfig, transportSchema } from '../../../src/gateway/config/transport.js';

const noSimulators = (id: string): never => {
  throw new Error(`no simulator ${id}`);
};

describe('createTransport', () => {
  it('accepts every parsed transport config', () => {
    expectTypeOf<TransportConfig>().toExtend<TransportSpec>();
  });

  it('builds a TCP transport from config, defaults filled by the schema', () => {
    const config = transportSchema.parse({ type: 'tcp', host: '127.0.0.1', port: 9100 });
    const transport = createTransport(config, noSimulators);
    expect(transport).toBeInstanceOf(TcpTransport);
    expect(transport.description).toBe('tcp://127.0.0.1:9100');
  });

  it('builds a serial transport without loading serialport yet', () => {
    const config = transportSchema.parse({ type: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 });
    const transport = createTransport(config, noSimulators);
    expect(transport).toBeInstanceOf(SerialTransport);
    expect(transport.description).toBe('serial:///dev/ttyUSB0');
    expect(transport.isOpen).toBe(false);
  });

  it('builds an lp transport for a USB printer node', () => {
    const transport = createTransport(
      transportSchema.parse({ type: 'lp', path: '/dev/usb/lp0' }),
      noSimulators,
    );
    expect(transport).toBeInstanceOf(LpTransport);
    expect(transport.description).toBe('lp:///dev/usb/lp0');
  });

  it("points a simulator transport at the simulator's address", () => {
    const asked: string[] = [];
    const transport = createTransport({ type: 'simulator', simulator: 'printer-sim' }, (id) => {
      asked.push(id);
      return { host: '127.0.0.1', port: 19100 };
    });
    expect(asked).toEqual(['printer-sim']);
    expect(transport).toBeInstanceOf(TcpTransport);
    expect(transport.description).toBe('tcp://127.0.0.1:19100');
  });
});
