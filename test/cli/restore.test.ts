/**
 * `carrel restore` on a desk whose database was lost after a night of offline
 * circulation. The backup holds a checkin taken while the ILS was away and not
 * yet replayed; the desk replayed it later, and the item went out to another
 * patron. Put back as a plain copy, the backup replays the old checkin again
 * and ends that patron's loan; put back by `carrel restore`, the checkin is
 * held for staff and the loan stands. The daemon and the command run the
 * compiled code in dist/ (`npm run build` first); the ILS simulator speaks SIP2
 * over TCP from this process.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { OfflineJournal, offlinePolicySchema } from '../../src/gateway/offline/index.js';
import { backUpDatabase } from '../../src/gateway/storage/backup.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { untilAnswered } from '../helpers/until.js';

/** The config of a new PC with its database at `database`. */
function writeNewPcConfig(database: string): string {
  const folder = mkdtempSync(path.join(dir, 'new-pc-config-'));
  return writeDaemonConfig(folder, 'new-pc', { storagePath: database });
}

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
// Lent to 21000001 in the sample library; returned at the desk while the ILS was away.
const ITEM = '31000001';
const NEXT_BORROWER = '21000009';

let dir: string;
let configPath: string;
let database: string;
let ilsPort: number;
let ils: IlsSimulator | undefined;
let daemon: CarrelDaemon | undefined;

const call = (method: 'GET' | 'POST', route: string, body?: unknown) =>
  callApi(`${daemon!.api}/api/v1`, method, route, body);
const waitUntil = <T>(probe: () => Promise<T | undefined>) =>
  untilAnswered(probe, 30_000, 'condition not met in time', 25);
const ilsIs = (status: string) =>
  waitUntil(async () => ((await call('GET', '/devices/ils')).json.status === status ? true : undefined));
const summary = async () => (await call('GET', '/offline/summary')).json;
const lentTo = (patron: string) => ils!.state.loansOf(patron).map((loan) => loan.item);
const carrel = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args, '--config', configPath], { encoding: 'utf8' });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-restore-cli-'));
  database = path.join(dir, 'state', 'carrel.db');
  const probe = await startIlsSimulator({ fixture: sampleFixturePath() });
  ilsPort = probe.port;
  await probe.close();
  configPath = writeDaemonConfig(dir, 'restore-test', {
    storagePath: database,
    devices: [simulatedIlsDevice(ilsPort)],
    offline: { enabled: true, checkouts: true, checkins: true },
  });
});

afterAll(async () => {
  if (daemon) await killDaemon(daemon.child);
  await ils?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The ILS is back, the desk has replayed what it held, and the item went out to the next borrower. */
async function itemLentAgain(): Promise<void> {
  await ilsIs('online');
  await waitUntil(async () => ((await summary()).pending === 0 ? true : undefined));
  expect(lentTo('21000001')).not.toContain(ITEM);
  const checkout = await call('POST', '/checkouts', { patron: NEXT_BORROWER, item: ITEM });
  expect(checkout.json).toMatchObject({ ok: true });
  expect(lentTo(NEXT_BORROWER)).toContain(ITEM);
}

describe('carrel restore', () => {
  it("holds the backup's unreplayed offline work for staff, where a plain copy would send it again", async () => {
    daemon = await startCarrelDaemon(configPath);
    await ilsIs('offline');
    expect((await call('POST', '/checkins', { item: ITEM })).json).toMatchObject({ ok: true, offline: true });

    const made = carrel('backup', '--json');
    expect(made.status, made.stderr).toBe(0);
    const backup = (JSON.parse(made.stdout) as { path: string }).path;
    // Not while Carrel runs on the database.
    const refused = carrel('restore', backup);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^carrel: another Carrel is running on /);

    ils = await startIlsSimulator({ fixture: sampleFixturePath(), port: ilsPort });
    await itemLentAgain();

    // The disk is lost. Put back as a plain copy (its old log moved away), the backup's pending
    // checkin is replayed again: the next borrower's loan ends.
    await killDaemon(daemon.child);
    for (const name of readdirSync(path.dirname(database)))
      if (name.startsWith('carrel.db')) rmSync(path.join(path.dirname(database), name));
    copyFileSync(backup, database);
    daemon = await startCarrelDaemon(configPath);
    await ilsIs('online');
    await waitUntil(async () => ((await summary()).pending === 0 ? true : undefined));
    expect(lentTo(NEXT_BORROWER)).not.toContain(ITEM);

    // Again, and this time restored by the command.
    await itemLentAgain();
    await killDaemon(daemon.child);
    const restored = carrel('restore', backup);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored ${database} from ${backup}`);
    expect(restored.stdout).toMatch(/kept as .*carrel\.replaced-\d{8}-\d{6}Z\.db/);
    expect(restored.stdout).toContain('1 offline transaction is held for staff');

    daemon = await startCarrelDaemon(configPath);
    await ilsIs('online');
    expect(await summary()).toMatchObject({ pending: 0, replaying: 0, conflict: 1 });
    const held = (await call('GET', '/offline/transactions?state=conflict')).json.transactions;
    expect(held).toEqual([
      expect.objectContaining({ kind: 'checkin', item: ITEM, reason: 'restored_from_backup' }),
    ]);
    // Whatever the replayer does now, the loan made after the backup stands.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lentTo(NEXT_BORROWER)).toContain(ITEM);
    // Staff looked it up at the ILS: the checkin was done long ago. Discarded, it is never sent.
    const discarded = await call('POST', `/offline/transactions/${held[0].id}/resolve`, {
      action: 'discard',
    });
    expect(discarded.json).toMatchObject({ state: 'discarded' });
    expect(lentTo(NEXT_BORROWER)).toContain(ITEM);
  }, 120_000);

  it("sends the backup's offline work as it is when told the backup was taken after the desk stopped for good", () => {
    // The old PC's Carrel stopped with a checkin waiting; its last backup moves to a new PC.
    const oldDesk = path.join(dir, 'old-pc.db');
    const db = openDatabase(oldDesk);
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    const waiting = journal.accept({ kind: 'checkin', item: '31000002', terminal: 'desk-1', at: Date.now() });
    db.close();
    const backup = backUpDatabase(oldDesk, { to: path.join(dir, 'moved') }).path;
    const newPc = path.join(dir, 'new-pc', 'carrel.db');
    const moved = spawnSync(
      process.execPath,
      [CLI, 'restore', backup, '--replay-pending', '--json', '--config', writeNewPcConfig(newPc)],
      { encoding: 'utf8' },
    );
    expect(moved.status, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ path: newPc, setAside: [], offlineHeld: 0 });
    const restored = new OfflineJournal(openDatabase(newPc), {
      policy: offlinePolicySchema.parse({ enabled: true }),
    });
    expect(restored.get(waiting.id)).toMatchObject({ state: 'pending' });
  });

  it('says what is wrong in one line, and changes nothing', () => {
    const none = carrel('restore');
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/which backup\?/);
    const missing = carrel('restore', path.join(dir, 'no-such-backup.db'));
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`carrel: no backup file at ${path.join(dir, 'no-such-backup.db')}`);
  });
});
