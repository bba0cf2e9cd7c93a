/**
 * Fee payments with request ids, `carrel start` SIGKILLed at random points.
 * The ILS simulator runs in this process and lives on, a little slow so that
 * kills land while a payment is under way. Each round a fee is added to a
 * patron, a kiosk pays part of it with a new request id, the daemon is killed
 * somewhere around that request, started again on the same database, and the
 * kiosk sends the same request again until it hears a final answer. Whatever
 * the moments of the kills, the ILS took each payment at most once, exactly
 * once when the kiosk was told it was accepted, and the kiosk was never told
 * "accepted" for a payment the ILS did not take.
 * The daemon runs the compiled code in dist/: `npm run build` first.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import {
  type RestartableCarrel,
  restartableCarrel,
  simulatedIlsDevice,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';

const ROUNDS = 10;
const PATRON = '21000007';
const FEE_CENTS = 1000;
const PAID = '1.00';

let ils: IlsSimulator;
let carrel: RestartableCarrel | undefined;

async function pay(api: string, body: unknown): Promise<{ status: number; code?: string } | undefined> {
  try {
    const response = await fetch(`${api}/api/v1/fees/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { code?: string };
    return { status: response.status, ...(json.code ? { code: json.code } : {}) };
  } catch {
    return undefined; // the daemon died with the request: no answer
  }
}

async function ilsStatus(api: string): Promise<string | undefined> {
  const state = (await (await fetch(`${api}/api/v1/devices/ils`)).json()) as { status?: string };
  return state.status;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath(), faults: { latencyMs: 15 } });
  carrel = restartableCarrel('carrel-request-ids-kill-', (dir) =>
    writeDaemonConfig(dir, 'kill-test', {
      offline: { enabled: false },
      devices: [simulatedIlsDevice(ils.port)],
    }),
  );
});

afterAll(async () => {
  await carrel?.close();
  await ils?.close();
});

describe('request ids with SIGKILLs', () => {
  it('takes each payment at most once, and exactly once when the kiosk heard it accepted', async () => {
    const patron = ils.state.patron(PATRON)!;
    const outcomes: string[] = [];
    const daemon = carrel!;
    await daemon.start();
    for (let round = 0; round < ROUNDS; round++) {
      const feeId = `R-${round}`;
      patron.fees.push({ id: feeId, type: 'other', amountCents: FEE_CENTS, description: 'Kill test' });
      const request = { patron: PATRON, amount: PAID, feeId, requestId: randomUUID() };
      // Wait for the ILS link before the first attempt, so that the kill is what interrupts it.
      while ((await ilsStatus(daemon.api)) !== 'online') await pause(25);
      const first = pay(daemon.api, request);
      await pause(Math.floor(Math.random() * 60));
      await daemon.kill();
      const heardFirst = await first;
      await daemon.start();
      let final: { status: number; code?: string } | undefined;
      for (let attempt = 0; attempt < 200; attempt++) {
        final = await pay(daemon.api, request);
        if (final && final.status !== 503) break;
        await pause(25);
      }
      const owed = patron.fees.find((fee) => fee.id === feeId)?.amountCents ?? 0;
      const taken = (FEE_CENTS - owed) / 100;
      outcomes.push(`${heardFirst?.status ?? 'none'}→${final?.code ?? final?.status}:${taken}`);
      expect(taken, outcomes.join(' ')).toBeLessThanOrEqual(1);
      if (heardFirst?.status === 200 || final?.status === 200) expect(taken, outcomes.join(' ')).toBe(1);
      expect([200, 409], outcomes.join(' ')).toContain(final?.status);
      if (final?.status === 409) expect(final.code).toBe('request_in_doubt');
    }
  }, 240_000);
});
