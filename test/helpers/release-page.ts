import type { Page } from 'playwright-core';

/** A patron logs in at the release station page (`/release`, open on `station`) with the keyboard, and sees their jobs. */
export async function logInAtRelease(station: Page, patron: string, pin: string): Promise<void> {
  await station.locator('#card').fill(patron);
  await station.locator('#pin').fill(pin);
  await station.getByRole('button', { name: 'Show my print jobs' }).click();
  await station.locator('#screen-jobs').waitFor({ state: 'visible', timeout: 10_000 });
}
