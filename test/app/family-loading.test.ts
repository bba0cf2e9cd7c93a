import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempFolders } from '../helpers/temp-folders.js';

/**
 * A desk loads the run-time modules (entry, driver, codecs) of the families its
 * configuration uses, and no others: an idle gateway's memory is what it runs.
 * The desk is built in a fresh Node process (from dist/, `npm run build` first)
 * whose module loader records every module it loads.
 */
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const newFolder = tempFolders('carrel-family-loading-');
let work: string;
beforeAll(() => {
  work = newFolder();
});

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_FILE, url + '\\n');
  return next(url, context);
}`;

const BUILD_DESK = `import { register } from 'node:module';
register(process.env.HOOKS_URL);
const { parseConfigText } = await import(process.env.DIST_URL + '/src/app/config.js');
const { createDesk } = await import(process.env.DIST_URL + '/src/app/desk.js');
const { silentLogger } = await import(process.env.DIST_URL + '/src/core/logger.js');
const config = parseConfigText(process.env.CONFIG, 'json', {});
await createDesk({ config, logger: silentLogger(), version: 'test', env: { STATE_DIRECTORY: process.env.STATE } });
`;

async function modulesLoadedBuilding(devices: object[]): Promise<string[]> {
  const hooks = join(work, 'hooks.mjs');
  const script = join(work, 'build-desk.mjs');
  const loaded = join(work, `loaded-${devices.length}.txt`);
  writeFileSync(hooks, HOOKS);
  writeFileSync(script, BUILD_DESK);
  writeFileSync(loaded, '');
  await promisify(execFile)(process.execPath, [script], {
    env: {
      ...process.env,
      HOOKS_URL: pathToFileURL(hooks).href,
      DIST_URL: pathToFileURL(DIST).href,
      LOADED_FILE: loaded,
      STATE: work,
      CONFIG: JSON.stringify({ version: 2, devices }),
    },
  });
  return readFileSync(loaded, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url).slice(DIST.length + 1));
}

describe('family loading', () => {
  it('a desk of an ILS, a receipt printer and an RFID pad loads those families’ drivers and no other family’s', async () => {
    const tcp = { type: 'tcp', host: '127.0.0.1', port: 9 };
    const loaded = await modulesLoadedBuilding([
      { id: 'ils', kind: 'ils', transport: tcp },
      { id: 'receipt-1', kind: 'receipt-printer', transport: tcp },
      { id: 'pad-1', kind: 'rfid-reader', protocol: 'feig', transport: tcp },
    ]);
    for (const used of ['ils', 'receipt-printer', 'rfid-reader'])
      expect(loaded).toContain(`src/gateway/families/${used}/entry.js`);
    expect(loaded).toContain('src/devices/rfid/feig-reader.js');
    const unused = ['gate', 'print-queue', 'cash-device', 'card-printer', 'scanner'];
    expect(
      loaded.filter((file) => unused.some((kind) => file === `src/gateway/families/${kind}/entry.js`)),
    ).toEqual([]);
    const unusedDrivers = ['gate', 'print-queue', 'cash', 'card-printer', 'scanner'];
    expect(
      loaded.filter((file) => unusedDrivers.some((dir) => file.startsWith(`src/devices/${dir}/`))),
    ).toEqual([]);
  });

  it('a desk of only an ILS loads no receipt printer’s driver or renderer (the receipts of sessions and payments name one)', async () => {
    const loaded = await modulesLoadedBuilding([
      { id: 'ils', kind: 'ils', transport: { type: 'tcp', host: '127.0.0.1', port: 9 } },
    ]);
    expect(loaded).toContain('src/gateway/families/ils/entry.js');
    expect(loaded).not.toContain('src/gateway/families/receipt-printer/entry.js');
    expect(loaded.filter((file) => file.startsWith('src/devices/printer/'))).toEqual([]);
  });
});
