import { CarrelError } from './errors.js';

/**
 * Native modules (serialport, better-sqlite3, node-hid, usb, unix-dgram) are
 * loaded only when a configured device or feature needs them. When one cannot be
 * loaded the operator gets one line naming the module, what it was for, and the
 * system package most likely missing — never a stack trace.
 */

/** What is most often missing on Debian when each native module fails to load. */
const SYSTEM_HINTS: Readonly<Record<string, string>> = {
  serialport:
    "its addon @serialport/bindings-cpp must match this Node (reinstall with Debian's build-essential and python3); listing ports needs udevadm from Debian's udev",
  'better-sqlite3':
    "it is Carrel's SQLite only on Node 20 (22.16+ and 24 use the built-in node:sqlite); its addon must match this Node (reinstall with Debian's build-essential and python3 so it can be rebuilt)",
  'node-hid': "it needs Debian's libusb-1.0-0 and libudev1 (hidraw access)",
  pcsclite: "it needs Debian's libpcsclite1 (and pcscd running)",
  '@pokusew/pcsclite':
    "it is built against Debian's libpcsclite-dev at install (with build-essential and python3) and needs pcscd running",
  usb: "it needs Debian's libusb-1.0-0 and libudev1",
  'unix-dgram':
    "its addon must match this Node (reinstall with Debian's build-essential and python3 so it can be rebuilt)",
};

export type NativeImporter = (moduleName: string) => Promise<unknown>;

const defaultImporter: NativeImporter = (moduleName) => import(moduleName);

/**
 * Makes a loader with its own cache. `loadNative` below is the one Carrel uses;
 * tests make their own with a stand-in importer.
 */
export function createNativeLoader(importModule: NativeImporter = defaultImporter) {
  const loaded = new Map<string, unknown>();
  const loading = new Map<string, Promise<unknown>>();

  return async function load<T>(moduleName: string, purpose: string): Promise<T> {
    if (loaded.has(moduleName)) return loaded.get(moduleName) as T;
    let pending = loading.get(moduleName);
    if (!pending) {
      pending = importModule(moduleName).then(
        (namespace) => {
          loaded.set(moduleName, namespace);
          return namespace;
        },
        (error: unknown) => {
          throw nativeModuleMissing(moduleName, purpose, error);
        },
      );
      // A failed load is not cached: the next call tries again (after an install, say).
      pending.finally(() => loading.delete(moduleName)).catch(() => {});
      loading.set(moduleName, pending);
    }
    return (await pending) as T;
  };
}

/**
 * Loads a native package on first use and caches it. Resolves to the module
 * namespace, typed by the caller: `loadNative<typeof import('serialport')>(…)`.
 * Rejects with a CarrelError `native_module_missing` whose message is one line.
 */
export const loadNative: <T>(moduleName: string, purpose: string) => Promise<T> = createNativeLoader();

export function nativeModuleMissing(moduleName: string, purpose: string, error: unknown): CarrelError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const notInstalled =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    firstLine(error).includes(`'${moduleName}'`);
  const reason = notInstalled ? 'it is not installed' : firstLine(error);
  const hint = SYSTEM_HINTS[moduleName];
  const message =
    `native module '${moduleName}' (needed for ${purpose}) could not be loaded: ${reason}` +
    (hint ? `; ${hint}` : '');
  return new CarrelError('native_module_missing', message, { cause: error });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
