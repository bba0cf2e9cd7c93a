import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../../simulators/common/pty-pair.js';
import { CarrelError } from '../../../src/core/errors.js';
import {
  listSerialPorts,
  type SerialBinding,
  SerialTransport,
  serialError,
} from '../../../src/devices/transport/serial.js';
import { DisconnectableBinding } from '../../helpers/disconnectable-binding.js';
import { SerialFarEnd } from '../../helpers/serial-far-end.js';
import { transportContract } from './contract.js';

let mockPorts = 0;
afterAll(() => DisconnectableBinding.reset());

transportContract('SerialTransport over @serialport/binding-mock', async () => {
  const path = `/dev/ttyMOCK${mockPorts++}`;
  const binding = new DisconnectableBinding(path);
  return {
    transport: new SerialTransport({ path, baudRate: 115200, binding }),
    async connected() {
      const device = binding.current;
      if (!device) throw new Error('nothing opened the mock port');
      return {
        send: async (bytes) => device.send(bytes),
        take: (length, within) => device.written.take(length, within),
      };
    },
    drop: async () => binding.current?.pull(),
    unreachable: () => new SerialTransport({ path: '/dev/ttyMOCKnowhere', binding }),
    cleanup: async () => {},
  };
});

transportContract('SerialTransport over a socat pty pair', async () => {
  const pair = await createPtyPair();
  const far = await SerialFarEnd.open(pair.devicePath);
  return {
    transport: new SerialTransport({ path: pair.hostPath, baudRate: 9600 }),
    connected: async () => far,
    drop: () => pair.close(),
    goneAfterDrop: true,
    unreachable: () => new SerialTransport({ path: `${pair.hostPath}-missing` }),
    cleanup: async () => {
      await far.close();
      await pair.close();
    },
  };
});

const hardwarePort = process.env.CARREL_TEST_SERIAL_PORT;
const hardwarePeer = process.env.CARREL_TEST_SERIAL_PEER;
const hardwareBaud = Number(process.env.CARREL_TEST_SERIAL_BAUD ?? 9600);
describe.skipIf(!hardwarePort || !hardwarePeer)(
  'on real hardware (skipped: set CARREL_TEST_SERIAL_PORT and CARREL_TEST_SERIAL_PEER to the two ends of a null-modem link)',
  () => {
    transportContract(`SerialTransport on ${hardwarePort ?? 'hardware'}`, async () => {
      const far = await SerialFarEnd.open(hardwarePeer!, hardwareBaud);
      return {
        transport: new SerialTransport({ path: hardwarePort!, baudRate: hardwareBaud }),
        connected: async () => far,
        unreachable: () => new SerialTransport({ path: '/dev/carrel-no-such-port' }),
        cleanup: () => far.close(),
      };
    });
  },
);

describe('SerialTransport', () => {
  afterEach(() => DisconnectableBinding.reset());

  it('opens the port with the configured line settings and an exclusive lock', async () => {
    const opened: unknown[] = [];
    const inner = new DisconnectableBinding('/dev/ttyMOCKsettings');
    const binding: SerialBinding = {
      open: (options) => {
        opened.push(options);
        return inner.open(options);
      },
      list: () => inner.list(),
    };
    const transport = new SerialTransport({
      path: '/dev/ttyMOCKsettings',
      baudRate: 19200,
      dataBits: 7,
      parity: 'even',
      stopBits: 2,
      rtscts: true,
      binding,
    });
    await transport.open();
    await transport.close();
    expect(opened).toEqual([
      {
        path: '/dev/ttyMOCKsettings',
        baudRate: 19200,
        dataBits: 7,
        parity: 'even',
        stopBits: 2,
        rtscts: true,
        lock: true,
      },
    ]);
  });

  it("reports a missing real device as 'device_missing'", async () => {
    const transport = new SerialTransport({ path: '/dev/carrel-no-such-tty' });
    await expect(transport.open()).rejects.toMatchObject({ code: 'device_missing' });
  });

  it("reports a file that is not a tty as 'not_a_serial_port'", async () => {
    const transport = new SerialTransport({ path: '/dev/null' });
    await expect(transport.open()).rejects.toMatchObject({ code: 'not_a_serial_port' });
  });

  it('maps what the native binding says to stable codes with a hint', () => {
    const where = 'serial:///dev/ttyUSB0';
    expect(serialError(new Error('Error: Permission denied, cannot open /dev/ttyUSB0'), where)).toMatchObject(
      {
        code: 'permission_denied',
        message: expect.stringContaining('dialout'),
      },
    );
    expect(
      serialError(new Error('Error Resource temporarily unavailable Cannot lock port'), where),
    ).toMatchObject({ code: 'device_busy' });
    expect(
      serialError(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }), where),
    ).toMatchObject({
      code: 'device_lost',
    });
    expect(serialError(new Error('something new'), where)).toMatchObject({
      code: 'link_error',
      message: `${where}: something new`,
    });
  });

  it('lists ports through the binding', async () => {
    const binding = new DisconnectableBinding('/dev/ttyMOCKlisted');
    const ports = await listSerialPorts(binding);
    expect(ports.map((port) => port.path)).toContain('/dev/ttyMOCKlisted');
  });

  it('says udevadm is needed when listing fails', async () => {
    const binding: SerialBinding = {
      open: () => Promise.reject(new Error('unused')),
      list: () => Promise.reject(new Error('spawn udevadm ENOENT\n    at stack line')),
    };
    const failure = await listSerialPorts(binding).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CarrelError);
    expect(failure).toMatchObject({ code: 'serial_list_failed' });
    expect((failure as Error).message).toContain("udevadm from Debian's udev");
    expect((failure as Error).message).not.toContain('\n');
  });
});
