/**
 * Native modules: can each be loaded by this Node? One a configured device or
 * the storage needs is a fail when it cannot; the others (node-hid, PC/SC for
 * card readers and scanners no configured device uses yet) only a warning.
 */
import { nativeModuleMissing } from '../../core/native.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { betterSqlite3Unavailable } from '../../gateway/storage/better-sqlite3.js';
import { chooseBackend } from '../../gateway/storage/index.js';
import type { CarrelConfig } from '../config.js';

export type ModuleImporter = (name: string) => Promise<unknown>;
const importModule: ModuleImporter = (name) => import(name);

interface NativeModule {
  /** As shown: "serialport", "PC/SC (pcsclite)". */
  label: string;
  purpose: string;
  needed: (config: CarrelConfig) => boolean;
  /** Resolves when the module and its addon load; rejects with why not. */
  load: (importer: ModuleImporter) => Promise<void>;
  /** When the module is not needed on this Node at all, why (better-sqlite3 on Node 22.16+). */
  unused?: () => string | undefined;
}

const MODULES: readonly NativeModule[] = [
  {
    label: 'serialport',
    purpose: 'serial port devices',
    needed: (config) =>
      config.devices.some(
        (device) => (device as { transport?: { type?: unknown } }).transport?.type === 'serial',
      ),
    load: async (importer) => {
      await importer('serialport');
      // The addon loads when a binding is chosen, not on import.
      const bindings = (await importer('@serialport/bindings-cpp')) as { autoDetect: () => unknown };
      bindings.autoDetect();
    },
  },
  {
    label: 'better-sqlite3',
    purpose: 'the database on Node 20',
    needed: () => chooseBackend() === 'better-sqlite3',
    unused: () =>
      chooseBackend() === 'node:sqlite'
        ? `not used on Node ${process.version}: Carrel's database is node:sqlite`
        : undefined,
    load: async () => {
      const why = betterSqlite3Unavailable();
      if (why) throw new Error(why);
    },
  },
  {
    label: 'node-hid',
    purpose: 'USB HID barcode scanners and card readers',
    needed: () => false,
    load: async (importer) => {
      await importer('node-hid');
    },
  },
  {
    label: 'PC/SC (pcsclite)',
    purpose: 'library card readers over PC/SC',
    needed: () => false,
    load: async (importer) => {
      try {
        await importer('pcsclite');
      } catch (error) {
        // The maintained fork goes by another name; when neither is there, say so of the first.
        await importer('@pokusew/pcsclite').catch(() => {
          throw error;
        });
      }
    },
  },
];

export async function checkNativeModules(
  config: CarrelConfig,
  importer: ModuleImporter = importModule,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const module of MODULES) {
    const name = `native module ${module.label}`;
    const unused = module.unused?.();
    if (unused) {
      checks.push(doctorCheck(name, 'skip', unused));
      continue;
    }
    const needed = module.needed(config);
    try {
      await module.load(importer);
      checks.push(doctorCheck(name, 'pass', `loads (for ${module.purpose})`));
    } catch (error) {
      const message = nativeModuleMissing(
        module.label.replace(/^PC\/SC \((.*)\)$/, '$1'),
        module.purpose,
        error,
      ).message;
      checks.push(
        doctorCheck(
          name,
          needed ? 'fail' : 'warn',
          needed
            ? `${message}; a configured device needs it`
            : `${message}; no configured device needs it yet`,
          needed
            ? "install or rebuild it for this Node (npm rebuild in Carrel's folder) with the system packages named"
            : `install it only if you add a device that needs ${module.purpose}`,
        ),
      );
    }
  }
  return checks;
}
