import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { countedAtDesk } from '../helpers/print-desk.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { until } from '../helpers/until.js';

/**
 * Print all at the release station when pressing it could only bring refusals: none of the
 * patron's documents is covered by the balance, or none can be printed now. It is not offered,
 * and the screen says why.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the release station’s Print all', () => {
  const chromium = deskInChromium(
    (config) => ({
      ...config,
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
  );
  const api = () => chromium.testDesk.api;
  const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

  async function logIn(patron: string, pin: string): Promise<Page> {
    const station = await chromium.openPage('/release');
    await logInAtRelease(station, patron, pin);
    return station;
  }

  it('is not offered when the balance covers none of the documents, and says so in money', async () => {
    const patron = '21000001';
    await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 5,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const ids = [
      await server().submit({ user: patron, title: 'Menu', pages: 1 }),
      await server().submit({ user: patron, title: 'Map', pages: 2 }),
    ];
    await countedAtDesk(api(), ids);
    const station = await logIn(patron, '1234');
    await station
      .locator(`[data-job="public-bw/${ids[1]}"] .cost`)
      .getByText(/0[.,]20/)
      .waitFor({ timeout: 10_000 });
    const printAll = station.getByRole('button', { name: 'Print all' });
    // It could be pressed, and answered each document with 'was not printed: it costs €0.10 and your balance is €0.05'.
    await expect.poll(() => printAll.isDisabled(), { timeout: 5_000 }).toBe(true);
    expect(await station.locator('#release-all-why').textContent()).toMatch(
      /^Your balance of 0\.05 EUR does not cover any of your documents\. Top up at the print desk, then print\.$/,
    );
    expect(await station.locator('#release-all-why').isVisible()).toBe(true);
    for (const id of ids) server().model.cancel(id);
  });

  it('looks not pressable when it is not offered: greyed out, not in the colours of a Print that can be pressed', async () => {
    const patron = '21000003';
    await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 5,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const id = await server().submit({ user: patron, title: 'Flyer', pages: 1 });
    await countedAtDesk(api(), [id]);
    const station = await logIn(patron, '3333');
    const print = station.locator(`[data-job="public-bw/${id}"]`).getByRole('button', { name: 'Print' });
    await print.waitFor({ timeout: 10_000 });
    const printAll = station.getByRole('button', { name: 'Print all' });
    await expect.poll(() => printAll.isDisabled(), { timeout: 5_000 }).toBe(true);
    expect(await print.isDisabled()).toBe(false);
    const look = (button: typeof print) =>
      button.evaluate((element) => {
        const style = element.ownerDocument.defaultView!.getComputedStyle(element);
        return { background: style.backgroundColor, color: style.color, cursor: style.cursor };
      });
    const offered = await look(print);
    const notOffered = await look(printAll);
    // Print all not offered was the same dark blue with white letters as the Print beside it: a
    // patron pressed it and nothing happened.
    expect(notOffered.background).not.toBe(offered.background);
    expect(notOffered.color).not.toBe(offered.color);
    expect(notOffered.cursor).toBe('not-allowed');
    server().model.cancel(id);
  });

  it('is not offered when none of the documents can be printed now, and says so (last: the printer stays out of paper)', async () => {
    const patron = '21000002';
    await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 500,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const id = await server().submit({ user: patron, title: 'Ticket', pages: 1 });
    await countedAtDesk(api(), [id]);
    server().setFaults({ paperOut: true });
    await until(
      async () => {
        const jobs = (await callApi(api(), 'GET', '/api/v1/print/jobs')).json.jobs as Array<{
          jobId: number;
          problem: unknown;
        }>;
        return jobs.some((j) => j.jobId === id && j.problem !== null) ? true : undefined;
      },
      10_000,
      'the printer out of paper was never seen',
      50,
    );
    const station = await logIn(patron, '2222');
    await station.locator(`[data-job="public-bw/${id}"]`).waitFor({ timeout: 10_000 });
    expect(await station.getByRole('button', { name: 'Print all' }).isDisabled()).toBe(true);
    // It was greyed out with nothing said of why.
    expect(await station.locator('#release-all-why').textContent()).toBe(
      'None of your documents can be printed just now: the reason is shown with each one.',
    );
  });
});
