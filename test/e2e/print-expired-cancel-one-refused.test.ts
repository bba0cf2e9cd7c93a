/**
 * Carrel sends one expiry Cancel-Job at a time per queue: a job whose Cancel-Job the print server
 * refuses for good (a policy on that one job) must not keep the other expired jobs held. Over IPP to
 * the simulated print server refusing the cancel of one job only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDesk } from '../helpers/desk.js';
import { printServer, refuseCancels, startShortHoldDesk } from '../helpers/print-expiry.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const patron = '21000001';

beforeAll(async () => {
  testDesk = await startShortHoldDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('expired jobs, the print server refusing the Cancel-Job of one of them for good', () => {
  it('cancels the others all the same, and keeps asking for the refused one', async () => {
    const server = printServer(testDesk);
    const stubborn = await server.submit({ user: patron, title: 'Stubborn', pages: 1 });
    const others = [
      await server.submit({ user: patron, title: 'Other 1', pages: 1 }),
      await server.submit({ user: patron, title: 'Other 2', pages: 1 }),
    ];
    const refusal = refuseCancels(testDesk, (_, jobId) => jobId === stubborn);
    try {
      await until(
        () => (others.every((id) => server.job(id)?.state === 'canceled') ? true : undefined),
        25_000,
        'timed out waiting for the other expired jobs cancelled at the print server',
        100,
      );
      const refusedThen = refusal.refused;
      expect(refusedThen).toBeGreaterThan(0);
      expect(server.job(stubborn)?.state).toBe('pending-held');
      await until(
        () => (refusal.refused > refusedThen ? true : undefined),
        10_000,
        'timed out waiting for the refused cancel asked again',
        100,
      );
    } finally {
      refusal.restore();
    }
    await until(
      () => (server.job(stubborn)?.state === 'canceled' ? true : undefined),
      10_000,
      'timed out waiting for the stubborn job cancelled once the server takes it',
      100,
    );
  }, 60_000);
});
