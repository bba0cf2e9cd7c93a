/**
 * Request ids on a real SQLite file: what a client sends again with the same id
 * is answered, not done again — while it runs, after it ended, after a restart —
 * and what was left under way by a Carrel that stopped is in doubt, never redone.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import type { RequestCall, RequestOutcome } from '../../../src/gateway/contracts/requests.js';
import { RequestIds } from '../../../src/gateway/requests/request-ids.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { secretKeyAt } from '../../../src/gateway/storage/secret-key.js';

class Refused extends CarrelError {}

let dir: string;
let db: Database;
let clock: ManualClock;
let requests: RequestIds;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-request-ids-'));
  db = openDatabase(join(dir, 'carrel.db'));
  clock = new ManualClock(Date.parse('2026-12-04T10:00:00Z'));
  requests = new RequestIds({ db: () => db, clock, logger: silentLogger() });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ID = '6f1c2a4e-8d7b-4c1e-9f0a-3b5d7e9c1a2b';

function call(fields: unknown, more: Partial<RequestCall> = {}): RequestCall {
  return {
    caller: 'kiosk-1',
    requestId: ID,
    action: 'circulation.feePaid',
    fields,
    outcomeOf: (error): RequestOutcome =>
      error instanceof Refused
        ? { kind: 'refusal', kept: { code: error.code, message: error.message } }
        : error instanceof CarrelError && error.code === 'lost'
          ? { kind: 'in_doubt' }
          : { kind: 'nothing_done' },
    restore: (kept) => new Refused(kept.code, kept.message),
    ...more,
  };
}

/** Work that counts how often it was done. */
function counted<T>(answer: () => T | Promise<T>) {
  const work = async () => {
    work.done++;
    return answer();
  };
  work.done = 0;
  return work;
}

describe('request ids', () => {
  it('does the work once: the same id again answers the first answer and says it is a replay', async () => {
    const work = counted(() => ({ accepted: true, balance: '10.50' }));
    const replays: string[] = [];
    const first = await requests.once(call({ patron: 'P1', amount: '2.00' }), work);
    const again = await requests.once(
      call({ amount: '2.00', patron: 'P1' }, { onReplay: () => replays.push('replayed') }),
      work,
    );
    expect(first).toEqual({ accepted: true, balance: '10.50' });
    expect(again).toEqual(first);
    expect(work.done).toBe(1);
    expect(replays).toEqual(['replayed']);
  });

  it('joins a request sent again while the first is still under way', async () => {
    let finish!: (value: string) => void;
    const work = counted(() => new Promise<string>((resolve) => (finish = resolve)));
    const first = requests.once(call({ patron: 'P1' }), work);
    const second = requests.once(call({ patron: 'P1' }), work);
    await new Promise((resolve) => setImmediate(resolve));
    finish('done');
    expect(await Promise.all([first, second])).toEqual(['done', 'done']);
    expect(work.done).toBe(1);
  });

  it('is on disk as under way before the work starts', async () => {
    const seen: unknown[] = [];
    const other = openDatabase(join(dir, 'carrel.db'));
    try {
      await requests.once(call({ patron: 'P1' }), async () => {
        seen.push(...other.prepare('SELECT state FROM request_ids').all());
        return 'ok';
      });
    } finally {
      other.close();
    }
    expect(seen).toEqual([{ state: 'running' }]);
  });

  it('refuses the same id with other fields, while under way and after', async () => {
    let finish!: () => void;
    const first = requests.once(
      call({ patron: 'P1', amount: '2.00' }),
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    await expect(
      requests.once(call({ patron: 'P1', amount: '3.00' }), async () => 'x'),
    ).rejects.toMatchObject({
      code: 'request_id_conflict',
    });
    finish();
    await first;
    await expect(
      requests.once(
        call({ patron: 'P1', amount: '2.00' }, { action: 'circulation.checkout' }),
        async () => 'x',
      ),
    ).rejects.toMatchObject({ code: 'request_id_conflict' });
  });

  it('names the field a clash differs in, but keeps no mark of a field that names a patron', async () => {
    await requests.once(call({ patron: '21000003', amount: '2.00' }), async () => 'done');
    await expect(
      requests.once(call({ patron: '21000003', amount: '3.00' }), async () => 'x'),
    ).rejects.toThrow(/another amount\)/);
    // A patron's barcode is one of a few thousand alike: even a 16-bit mark of it would all but name it.
    const fingerprint = String(
      (db.prepare('SELECT fingerprint FROM request_ids').get() as { fingerprint: string }).fingerprint,
    );
    expect(fingerprint).toMatch(/~amount:[0-9a-f]{4}$/);
    expect(fingerprint).not.toMatch(/patron/);
    const refused = requests.once(call({ patron: '21000004', amount: '2.00' }), async () => 'x');
    await expect(refused).rejects.toMatchObject({ code: 'request_id_conflict' });
    await expect(refused).rejects.not.toThrow(/\(another/);
  });

  it('keeps ids per caller: another caller with the same id is another request', async () => {
    const work = counted(() => 'ok');
    await requests.once(call({ patron: 'P1' }), work);
    await requests.once(call({ patron: 'P1' }, { caller: 'kiosk-2' }), work);
    expect(work.done).toBe(2);
  });

  it('answers a refusal again as the same refusal, without asking again', async () => {
    const work = counted((): string => {
      throw new Refused('patron_blocked', 'Card blocked, please see staff');
    });
    await expect(requests.once(call({ patron: 'P1' }), work)).rejects.toBeInstanceOf(Refused);
    const again = requests.once(call({ patron: 'P1' }), work);
    await expect(again).rejects.toBeInstanceOf(Refused);
    await expect(again).rejects.toMatchObject({
      code: 'patron_blocked',
      message: 'Card blocked, please see staff',
    });
    expect(work.done).toBe(1);
  });

  it('forgets a request that did nothing, so the same id may be tried again', async () => {
    let failing = true;
    const work = counted(() => {
      if (failing) throw new CarrelError('ils_offline', 'the ILS is not reachable');
      return 'done';
    });
    await expect(requests.once(call({ patron: 'P1' }), work)).rejects.toMatchObject({ code: 'ils_offline' });
    failing = false;
    expect(await requests.once(call({ patron: 'P1' }), work)).toBe('done');
    expect(work.done).toBe(2);
  });

  it('refuses an id whose answer was lost as in doubt, never doing it again', async () => {
    const work = counted((): string => {
      throw new CarrelError('lost', 'the answer was lost');
    });
    await expect(requests.once(call({ patron: 'P1' }), work)).rejects.toMatchObject({ code: 'lost' });
    await expect(requests.once(call({ patron: 'P1' }), work)).rejects.toMatchObject({
      code: 'request_in_doubt',
    });
    expect(work.done).toBe(1);
  });

  it('after a restart: answers what ended, and calls in doubt what a stopped Carrel left under way', async () => {
    await requests.once(call({ patron: 'P1' }), async () => ({ accepted: true }));
    // A Carrel that stopped mid-request (SIGKILL, a power cut) left its row under way.
    void requests.once(call({ patron: 'P2' }, { requestId: `${ID}-2` }), () => new Promise(() => {}));
    let logged = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const logger = createLogger({ level: 'info', format: 'json', destination });
    const restarted = new RequestIds({ db: () => db, clock, logger });
    const work = counted(() => 'again');
    expect(await restarted.once(call({ patron: 'P1' }), work)).toEqual({ accepted: true });
    await expect(
      restarted.once(call({ patron: 'P2' }, { requestId: `${ID}-2` }), work),
    ).rejects.toMatchObject({
      code: 'request_in_doubt',
      message: expect.stringContaining('under way when Carrel stopped'),
    });
    expect(work.done).toBe(0);
    // IT hears of it, without the patron.
    expect(JSON.parse(logged)).toMatchObject({
      level: 'warn',
      action: 'circulation.feePaid',
      caller: 'kiosk-1',
      left: 'under way at a stop',
    });
    expect(logged).not.toContain('P2');
  });

  it('keeps no patron barcode or PIN, only a hash of the fields, and forgets ids after a day', async () => {
    await requests.once(call({ patron: '21000003', amount: '2.00' }), async () => ({ accepted: true }));
    const raw = JSON.stringify(db.prepare('SELECT * FROM request_ids').all());
    expect(raw).not.toContain('21000003');
    await requests.start();
    await clock.advance(23 * 3_600_000);
    expect(db.prepare('SELECT COUNT(*) AS n FROM request_ids').get()).toEqual({ n: 1 });
    await clock.advance(2 * 3_600_000);
    expect(db.prepare('SELECT COUNT(*) AS n FROM request_ids').get()).toEqual({ n: 0 });
    await requests.stop();
    const work = counted(() => 'new');
    expect(await requests.once(call({ patron: '21000003', amount: '2.00' }), work)).toBe('new');
  });

  it('kept in memory: answered again by this process for ten minutes, and nothing written', async () => {
    const work = counted(() => ({ session: 'S1', patron: { name: 'Zoë Åström' } }));
    const first = await requests.once(call({ patron: 'P1' }, { keep: 'memory' }), work);
    const replays: string[] = [];
    const again = await requests.once(
      call({ patron: 'P1' }, { keep: 'memory', onReplay: () => replays.push('replayed') }),
      work,
    );
    expect(again).toBe(first);
    expect(replays).toEqual(['replayed']);
    await expect(requests.once(call({ patron: 'P2' }, { keep: 'memory' }), work)).rejects.toMatchObject({
      code: 'request_id_conflict',
    });
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'request_ids'").all()).toEqual([]);
    await clock.advance(10 * 60_000 + 1);
    await requests.once(call({ patron: 'P1' }, { keep: 'memory' }), work);
    expect(work.done).toBe(2);
    // A failure is forgotten at once: the same id may be tried again.
    const failing = counted((): string => {
      throw new CarrelError('pad_in_use', 'busy');
    });
    const id = { requestId: `${ID}-m`, keep: 'memory' as const };
    await expect(requests.once(call({}, id), failing)).rejects.toMatchObject({ code: 'pad_in_use' });
    await expect(requests.once(call({}, id), failing)).rejects.toMatchObject({ code: 'pad_in_use' });
    expect(failing.done).toBe(2);
  });

  it('kept in memory: the same id with another PIN, or none, is another request, refused without naming it', async () => {
    const work = counted(() => ({ session: 'S1' }));
    const opening = { keep: 'memory' as const, secret: '4821' };
    await requests.once(call({ patron: 'P1' }, opening), work);
    await requests.once(call({ patron: 'P1' }, opening), work);
    expect(work.done).toBe(1);
    for (const secret of ['1111', undefined])
      await expect(
        requests.once(call({ patron: 'P1' }, { keep: 'memory', secret }), work),
      ).rejects.toMatchObject({
        code: 'request_id_conflict',
        message: expect.not.stringMatching(/4821|1111|P1/),
      });
    expect(work.done).toBe(1);
  });

  it("kept on disk: the PIN is compared after a restart too, under a key kept in its own file, the owner's alone", async () => {
    const keyFile = join(dir, 'request-ids.key');
    const secretKey = () => secretKeyAt(keyFile);
    const before = new RequestIds({ db: () => db, clock, logger: silentLogger(), secretKey });
    await before.once(call({ patron: 'P1' }, { secret: '4821' }), async () => ({ due: '2026-12-18' }));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(db.prepare('SELECT * FROM request_ids').all())).not.toContain('4821');
    const restarted = new RequestIds({ db: () => db, clock, logger: silentLogger(), secretKey });
    const work = counted(() => 'again');
    expect(await restarted.once(call({ patron: 'P1' }, { secret: '4821' }), work)).toEqual({
      due: '2026-12-18',
    });
    for (const secret of ['1111', undefined])
      await expect(restarted.once(call({ patron: 'P1' }, { secret }), work)).rejects.toMatchObject({
        code: 'request_id_conflict',
        message: expect.not.stringMatching(/4821|1111|P1/),
      });
    expect(work.done).toBe(0);
    // A key file cut short (a power cut as it was made) is replaced: nothing kept matches then.
    writeFileSync(keyFile, 'cut');
    const anew = new RequestIds({ db: () => db, clock, logger: silentLogger(), secretKey });
    await expect(anew.once(call({ patron: 'P1' }, { secret: '4821' }), work)).rejects.toMatchObject({
      code: 'request_id_conflict',
    });
    expect(readFileSync(keyFile)).toHaveLength(32);
    expect(work.done).toBe(0);
  });

  it('a result that is not the last word is forgotten at once: the same id asks again', async () => {
    const answers: Array<{ state: string }> = [];
    const work = counted((): { state: string } => answers.shift() ?? { state: 'none' });
    const final = (result: unknown) => (result as { state: string }).state !== 'failed';
    for (const keep of ['memory', 'disk'] as const) {
      work.done = 0;
      answers.push({ state: 'failed' }, { state: 'checked_out' });
      const id = { requestId: `${ID}-${keep}`, keep, final };
      expect(await requests.once(call({ item: 'I1' }, id), work)).toEqual({ state: 'failed' });
      expect(await requests.once(call({ item: 'I1' }, id), work)).toEqual({ state: 'checked_out' });
      expect(await requests.once(call({ item: 'I1' }, id), work)).toEqual({ state: 'checked_out' });
      expect(work.done).toBe(2);
    }
  });

  it('kept in memory: the ten minutes are time passed, whatever NTP does to the wall clock', async () => {
    const work = counted(() => ({ renewals: [{ item: '31000004', ok: true }] }));
    await requests.once(call({ item: '31000004' }, { keep: 'memory' }), work);
    // The kiosk's answer was lost; it sends the renewal again seconds later, the desk's clock
    // stepped an hour forward meanwhile: answered again, not renewed a second time.
    clock.stepWallClock(3_600_000);
    await clock.advance(5_000);
    await requests.once(call({ item: '31000004' }, { keep: 'memory' }), work);
    expect(work.done).toBe(1);
    // Stepped an hour back: ten minutes later it is a new request, not an answer kept for an hour more.
    clock.stepWallClock(-2 * 3_600_000);
    await clock.advance(10 * 60_000 + 1);
    await requests.once(call({ item: '31000004' }, { keep: 'memory' }), work);
    expect(work.done).toBe(2);
  });

  it('refuses an id that is not 8 to 128 printable characters', async () => {
    const work = counted(() => 'x');
    for (const requestId of ['1', 'with space in it', 'x'.repeat(129)])
      await expect(requests.once(call({}, { requestId }), work)).rejects.toMatchObject({
        code: 'request_id_invalid',
      });
    expect(work.done).toBe(0);
  });

  it('still answers when the end cannot be written, and the id is then in doubt', async () => {
    await requests.once(call({ patron: 'P0' }, { requestId: `${ID}-0` }), async () => 'warm');
    const result = await requests.once(call({ patron: 'P1' }), async () => {
      db.exec(
        'CREATE TRIGGER no_end BEFORE UPDATE ON request_ids BEGIN SELECT RAISE(ABORT, "read-only"); END',
      );
      return 'done';
    });
    expect(result).toBe('done');
    db.exec('DROP TRIGGER no_end');
    await expect(requests.once(call({ patron: 'P1' }), async () => 'again')).rejects.toMatchObject({
      code: 'request_in_doubt',
    });
  });
});
