import type { Page } from 'playwright-core';

/** On the kiosk page's start screen: borrow items as the sample patron Zoë Åström (card 21000001, PIN 1234). */
export async function logIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Borrow items' }).click();
  await page.getByLabel('Library card number').fill('21000001');
  await page.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('1234');
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** On the kiosk page's start screen: "Pay fees", as the patron with this card and PIN, up to their list of fees. */
export async function showFees(page: Page, card: string, pin: string): Promise<void> {
  await page.getByRole('button', { name: 'Pay fees' }).click();
  await page.getByLabel('Your card number').fill(card);
  await page.getByRole('region', { name: 'Pay fees' }).getByLabel('PIN').fill(pin);
  await page.getByRole('button', { name: 'Show my fees' }).click();
}
