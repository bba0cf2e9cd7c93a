/**
 * Ordering behind the offline backlog, with `carrel start` SIGKILLed at random
 * points. Each round: checkouts are journaled while the ILS is away; a slow ILS
 * comes back (replay takes a while) and a kiosk at once checks in the last
 * item of the backlog; the daemon is killed somewhere in between, restarted on
 * the same database, and the kiosk repeats an unanswered checkin as kiosks do.
 * Whatever the moment of the kill, the ILS must end with the checked-in item on
 * the shelf and every other journaled item lent exactly once.
 * The daemon runs the compiled code in dist/: `npm run build` first (`npm test` does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { callApi } from '../helpers/api-call.js';
import {
  type RestartableCarrel,
  restartableCarrel,
  simulatedIlsDevice,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { untilAnswered } from '../helpers/until.js';

const ROUNDS = 8;
const PATRON = '21000009';
// On the shelf in the sample library.
const ITEMS = ['31000004', '31000005', '31000006', '31000010', '31000014', '31000026'];

let ilsPort: number;
let carrel: RestartableCarrel | undefined;

const call = (api: string, method: 'GET' | 'POST', route: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, route, body);

/** Waits up to 30 s; a probe that throws (the child between lives) counts as not yet. */
const waitUntil = <T>(probe: () => Promise<T | undefined>) =>
  untilAnswered(probe, 30_000, 'condition not met in time', 25);

const ilsIs = (api: string, status: string) =>
  waitUntil(async () => ((await call(api, 'GET', '/devices/ils')).json.status === status ? true : undefined));

beforeAll(async () => {
  // A port for the ILS that comes and goes: taken from a first simulator, then freed.
  const probe = await startIlsSimulator({ fixture: sampleFixturePath() });
  ilsPort = probe.port;
  await probe.close();
  carrel = restartableCarrel('carrel-ordering-kill-', (dir) =>
    writeDaemonConfig(dir, 'kill-test', {
      devices: [simulatedIlsDevice(ilsPort)],
      offline: { enabled: true, checkouts: true, checkins: true, maxCheckoutsPerPatron: 50 },
    }),
  );
});

afterAll(async () => {
  await carrel?.close();
});

describe('online requests behind the offline backlog, with SIGKILLs', () => {
  it('never leaves a checked-in item charged, nor lends one twice, wherever the daemon dies', async () => {
    const last = ITEMS.at(-1)!;
    let killedBeforeAnswer = 0;
    const daemon = carrel!;
    await daemon.start();
    for (let round = 0; round < ROUNDS; round++) {
      await ilsIs(daemon.api, 'offline');
      for (const item of ITEMS) {
        const answer = await call(daemon.api, 'POST', '/checkouts', { patron: PATRON, item });
        expect(answer.json).toMatchObject({ ok: true, offline: true });
      }

      // A fresh ILS, slow enough that replaying the backlog takes a while.
      const ils: IlsSimulator = await startIlsSimulator({
        fixture: sampleFixturePath(),
        port: ilsPort,
        faults: { latencyMs: 30 },
      });
      try {
        await ilsIs(daemon.api, 'online');
        let answered = false;
        const checkin = call(daemon.api, 'POST', '/checkins', { item: last }).then(
          () => {
            answered = true;
          },
          () => {},
        );
        // Somewhere between "before replay began" and "after the checkin was answered".
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
        await daemon.kill();
        await checkin;
        if (!answered) killedBeforeAnswer++;

        await daemon.start();
        if (!answered) {
          // The kiosk asks again; the daemon must still put it behind the item's backlog.
          const again = await call(daemon.api, 'POST', '/checkins', { item: last });
          expect(again.status).toBeLessThan(500);
        }
        await waitUntil(async () => {
          const summary = (await call(daemon.api, 'GET', '/offline/summary')).json;
          return summary.pending + summary.replaying === 0 ? summary : undefined;
        });

        const loans = ils.state.loansOf(PATRON);
        expect(loans.map((loan) => loan.item)).not.toContain(last);
        expect(loans.map((loan) => loan.item).sort()).toEqual(ITEMS.slice(0, -1).sort());
        // Lent once each: a checkout sent twice would show as a renewal.
        expect(loans.every((loan) => loan.renewals === 0)).toBe(true);
      } finally {
        await ils.close();
      }
    }
    const summary = (await call(daemon.api, 'GET', '/offline/summary')).json;
    expect(summary).toMatchObject({ pending: 0, replaying: 0, conflict: 0 });
    // The kills landed on both sides of the answer at least once in most runs; report, not assert.
    console.info(`ordering kill test: ${killedBeforeAnswer} of ${ROUNDS} kills came before the answer`);
  }, 180_000);
});
