/**
 * Native modules: a module that cannot be loaded is a failure only when a
 * configured device needs it. The modules present here load for real; a
 * missing one is given by the importer (the seam core/native.ts has too),
 * failing as Node fails for a package that is not installed.
 */
import { describe, expect, it } from 'vitest';
import type { CarrelConfig } from '../../../src/app/config.js';
import { checkNativeModules, type ModuleImporter } from '../../../src/app/doctor/native-modules.js';

const withSerial = {
  devices: [{ id: 'pad-1', kind: 'rfid-reader', transport: { type: 'serial', path: '/dev/ttyUSB0' } }],
} as unknown as CarrelConfig;
const withoutSerial = { devices: [] } as unknown as CarrelConfig;

/** Imports as Node does, except that `missing` is not installed. */
function without(missing: string): ModuleImporter {
  return async (name) => {
    if (name === missing) {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from /usr/lib/carrel`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
    return import(name);
  };
}

function byName(checks: Awaited<ReturnType<typeof checkNativeModules>>) {
  return Object.fromEntries(checks.map((check) => [check.name, check]));
}

describe('doctor: native modules', () => {
  it('loads serialport for real, addon included', async () => {
    expect(byName(await checkNativeModules(withSerial))['native module serialport']).toMatchObject({
      status: 'pass',
    });
  });

  it('fails serialport missing when a serial device is configured, warns when none is', async () => {
    const needed = byName(await checkNativeModules(withSerial, without('serialport')))[
      'native module serialport'
    ]!;
    expect(needed.status).toBe('fail');
    expect(needed.detail).toContain('it is not installed');
    expect(needed.detail).toContain('a configured device needs it');
    const unneeded = byName(await checkNativeModules(withoutSerial, without('serialport')))[
      'native module serialport'
    ]!;
    expect(unneeded.status).toBe('warn');
  });

  it('only warns for node-hid and PC/SC, naming the Debian packages they need', async () => {
    const checks = byName(await checkNativeModules(withSerial, without('node-hid')));
    expect(checks['native module node-hid']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('libusb-1.0-0'),
    });
    const pcsc = checks['native module PC/SC (pcsclite)']!;
    expect(['pass', 'warn']).toContain(pcsc.status);
    if (pcsc.status === 'warn') expect(pcsc.detail).toContain('libpcsclite1');
  });
});
