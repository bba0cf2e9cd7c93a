import type { Page } from 'playwright-core';

/** On the kiosk page's start screen: borrow items as the sample patron Zoë Åström (card 21000001, PIN 1234). */
export async function logIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Borrow items' }).click();
  await page.getByLabel('Library card number').fill('21000001');
  await page.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('1234');
  await page.getByRole('button', { name: 'Log in' }).click();
}
