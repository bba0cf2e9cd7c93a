import { describe, expect, it } from 'vitest';
import { CarrelError } from '../../src/core/errors.js';
import { createNativeLoader, loadNative } from '../../src/core/native.js';

describe('loadNative', () => {
  it('loads a module on first call and hands back the same namespace after', async () => {
    let imports = 0;
    const load = createNativeLoader(async () => {
      imports++;
      return { answer: 42 };
    });
    const [first, second] = await Promise.all([
      load<{ answer: number }>('serialport', 'serial ports'),
      load<{ answer: number }>('serialport', 'serial ports'),
    ]);
    const third = await load<{ answer: number }>('serialport', 'serial ports');
    expect(first.answer).toBe(42);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(imports).toBe(1);
  });

  it('loads the real serialport', async () => {
    const serialport = await loadNative<{ SerialPort: { list: unknown } }>('serialport', 'serial ports');
    expect(typeof serialport.SerialPort.list).toBe('function');
  });

  it('names the module, the purpose and the missing system library in one line', async () => {
    const load = createNativeLoader(async () => {
      throw new Error(
        'libusb-1.0.so.0: cannot open shared object file: No such file or directory\n    at Module._extensions..node',
      );
    });
    const failure = await load('node-hid', 'the RFID pad').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CarrelError);
    expect(failure).toMatchObject({ code: 'native_module_missing' });
    const { message } = failure as Error;
    expect(message).not.toContain('\n');
    expect(message).toContain("'node-hid'");
    expect(message).toContain('the RFID pad');
    expect(message).toContain('libusb-1.0.so.0: cannot open shared object file');
    expect(message).toContain("Debian's libusb-1.0-0");
  });

  it('says a package that is not there is not installed, and tries again next time', async () => {
    const failure = await loadNative('carrel-no-such-native-module', 'testing').catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      code: 'native_module_missing',
      message:
        "native module 'carrel-no-such-native-module' (needed for testing) could not be loaded: it is not installed",
    });

    let attempts = 0;
    const load = createNativeLoader(async () => {
      attempts++;
      if (attempts === 1) throw new Error('not yet');
      return { ready: true };
    });
    await expect(load('usb', 'card printer')).rejects.toMatchObject({ code: 'native_module_missing' });
    await expect(load('usb', 'card printer')).resolves.toEqual({ ready: true });
  });
});
