import { createRequire } from 'node:module';
import type {
  SerialBinding,
  SerialBindingPort,
  SerialOpenOptions,
  SerialPortInfo,
} from '../../src/devices/transport/serial.js';
import { ByteCollector } from './byte-collector.js';

/** The parts of @serialport/binding-mock used here (its ESM entry ships no types). */
interface MockPortBinding extends SerialBindingPort {
  emitData(data: Buffer): void;
}
interface MockBindingInterface {
  createPort(path: string, options: { echo: boolean; record: boolean }): void;
  open(options: SerialOpenOptions): Promise<MockPortBinding>;
  list(): Promise<SerialPortInfo[]>;
  reset(): void;
}

const { MockBinding } = createRequire(import.meta.url)('@serialport/binding-mock') as {
  MockBinding: MockBindingInterface;
};

/**
 * serialport's MockBinding plus what it lacks for contract tests: a way to
 * unplug the port (pending reads fail with a non-cancel error, as bindings-cpp
 * does on EIO) and an event-driven view of what was written.
 */
export class DisconnectableBinding implements SerialBinding {
  /** The port most recently opened, for the test to play the device on. */
  current: MockSerialDevice | undefined;

  constructor(path: string) {
    MockBinding.createPort(path, { echo: false, record: false });
  }

  async open(options: SerialOpenOptions): Promise<SerialBindingPort> {
    const port = await MockBinding.open(options);
    const device = new MockSerialDevice(port);
    this.current = device;
    return device.hostSide;
  }

  list() {
    return MockBinding.list();
  }

  /** Forgets every mock port (MockBinding's registry is process-wide). */
  static reset(): void {
    MockBinding.reset();
  }
}

export class MockSerialDevice {
  readonly written = new ByteCollector();
  private unplugged: ((error: Error) => void) | undefined;
  private readonly unplug = new Promise<never>((_, reject) => {
    this.unplugged = reject;
  });
  readonly hostSide: SerialBindingPort;

  constructor(private readonly port: MockPortBinding) {
    this.unplug.catch(() => {});
    this.hostSide = {
      get isOpen() {
        return port.isOpen;
      },
      read: (buffer, offset, length) => Promise.race([port.read(buffer, offset, length), this.unplug]),
      write: async (buffer) => {
        await Promise.race([port.write(buffer), this.unplug]);
        this.written.push(buffer);
      },
      close: () => port.close(),
    };
  }

  send(bytes: Uint8Array): void {
    this.port.emitData(Buffer.from(bytes));
  }

  /** The USB adapter is pulled: the binding's pending read fails with EIO. */
  pull(): void {
    this.unplugged?.(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
  }
}
