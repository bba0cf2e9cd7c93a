import type { Locator, Page, Route } from 'playwright-core';
import { expect } from 'vitest';
import { until } from './until.js';

/** A patron logs in at the release station page (`/release`, open on `station`) with the keyboard, and sees their jobs. */
export async function logInAtRelease(station: Page, patron: string, pin: string): Promise<void> {
  await station.locator('#card').fill(patron);
  await station.locator('#pin').fill(pin);
  await station.getByRole('button', { name: 'Show my print jobs' }).click();
  await station.locator('#screen-jobs').waitFor({ state: 'visible', timeout: 10_000 });
}

/**
 * The Print button of job `jobId` (of `queue`) on the release station open on `station`, once the
 * row offers it. The list drawn at login may show a problem that passes (the pages still being
 * counted for the station), and the station looks again on its own until it has — which a lost
 * contact would stop, leaving Print disabled for good.
 */
export async function printOffered(station: Page, jobId: number, queue = 'public-bw'): Promise<Locator> {
  const row = station.locator(`[data-job="${queue}/${jobId}"]`);
  const print = row.getByRole('button', { name: 'Print' });
  await print.waitFor({ timeout: 10_000 });
  await until(
    async () => (await print.isEnabled()) || undefined,
    15_000,
    `Print of job ${jobId} was never offered`,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}: its row says '${await row.textContent()}'`);
  });
  return print;
}

/**
 * `print` pressed on the release station open on `station` as it loses contact: the desk does the
 * release, its answer is lost, and nothing more reaches the desk until `back()` (the list on the
 * screen stays as it was). Returns once the station has said it lost contact. The browser logs the
 * failed requests (net::ERR_FAILED).
 */
export async function printAsContactIsLost(
  station: Page,
  print: Locator,
): Promise<{ back: () => Promise<void> }> {
  let released = false;
  const handler = async (route: Route) => {
    if (!released && route.request().url().endsWith('/print/station/release')) {
      released = true;
      await route.fetch();
    }
    await route.abort('failed');
  };
  await station.route('**/api/v1/print/station/**', handler);
  await print.click();
  await expect
    .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
    .toMatch(/the station lost contact, so it is not known whether it was sent\. Press Print again/);
  return { back: () => station.unroute('**/api/v1/print/station/**', handler) };
}
