import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { heading, itemText, kioskInChromium, logIn } from '../helpers/kiosk-page.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();

/** What the patron reads when the library system does not answer what she asked. */
const NOT_ANSWERING =
  'The library system is not answering just now. Please try again in a moment, or ask staff.';

/**
 * The kiosk page in Chromium, a patron (Zoë Åström, 21000001) at the simulated desk whose ILS
 * simulator stops answering (over TCP): she is told so in words, and what to do. A short request
 * timeout: an unanswered request fails in seconds, not ten. A heartbeat every 2 s: a link dropped
 * at its next message is dropped within 2 s, and one back is dialled again within 1.7 s (reconnects
 * are never further apart than a heartbeat), where 5 s left up to 5 and 4.2 s to wait.
 */
describe.skipIf(skip !== undefined)('the kiosk page while the library system does not answer', () => {
  const fixture = kioskInChromium({
    lent: ['31000005', '31000006'],
    ils: (link) => ({ ...link, requestTimeoutMs: 1_500, heartbeatSeconds: 2 }),
    afterEach: () => fixture.ils().setFaults({}),
  });
  const { ils, clearPad, placeTag } = fixture;

  it('says the library system is not answering when she logs in or renews, and she can try again once it answers', async () => {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    ils().setFaults({ hang: true });
    await logIn(kiosk);
    await expect
      .poll(() => kiosk.locator('#login-error').textContent(), { timeout: 20_000 })
      .toBe(NOT_ANSWERING);
    expect(await heading(kiosk)()).toBe('Log in');

    // The PIN was not the problem: it is kept, and she only presses Log in again (it was cleared,
    // and her second press answered 'Please enter your PIN.').
    const pin = kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN');
    expect(await pin.inputValue()).toBe('1234');
    ils().setFaults({});
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    await kiosk.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');

    ils().setFaults({ hang: true });
    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    await expect
      .poll(() => kiosk.locator('#session-error').textContent(), { timeout: 20_000 })
      .toBe(NOT_ANSWERING);
  }, 60_000);

  it('clears a wrong PIN, and keeps the card number', async () => {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    await kiosk.getByLabel('Library card number').fill('21000001');
    const pin = kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN');
    await pin.fill('0000');
    await kiosk.getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(() => kiosk.locator('#login-error').textContent(), { timeout: 10_000 })
      .toBe('That PIN is not right. Please try again.');
    expect(await pin.inputValue()).toBe('');
    expect(await kiosk.getByLabel('Library card number').inputValue()).toBe('21000001');
  }, 30_000);

  it('says an item was not checked out because the library system is away, and offers Try again once it is back', async () => {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    // The link drops at the next message and stays down.
    ils().setFaults({ dropAfterMessages: 0 });
    await waitForDevice(fixture.desk.api, 'ils', 'offline', 15_000);
    placeTag('31000006'); // Beloved
    const tryAgain = kiosk.locator('[data-item="31000006"]').getByRole('button', { name: 'Try again' });
    // It said 'Could not be done now — try again in a moment', and Try again failed the same way
    // for as long as the library system was away.
    await expect
      .poll(itemText(kiosk, '31000006'), { timeout: 10_000 })
      .toContain('Not checked out — the library system is not answering');
    expect(await itemText(kiosk, '31000006')()).toContain(
      'You can try again here when it answers, or ask staff.',
    );
    expect(await tryAgain.count()).toBe(0);
    ils().setFaults({});
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    await expect.poll(() => tryAgain.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await itemText(kiosk, '31000006')()).toContain('Could not be done now');
    await tryAgain.click();
    await expect
      .poll(itemText(kiosk, '31000006'), { timeout: 10_000 })
      .toMatch(/Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/);
  }, 60_000);

  it("says 'Reconnecting to the pad…' when the kiosk's own link to Carrel goes silent without closing, and carries on by itself", async () => {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    // The kiosk reaches Carrel through a link that can go silent as a pulled cable does: nothing
    // closes, nothing answers.
    const link = await StallingProxy.start(Number(new URL(fixture.desk.api).port));
    try {
      const kiosk = await fixture.openScreen();
      await kiosk.goto(`http://127.0.0.1:${link.port}/kiosk?pad=pad-1&printer=receipt-1`);
      await expect.poll(heading(kiosk)).toBe('Welcome');
      await logIn(kiosk);
      await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
      const reconnecting = kiosk.getByRole('alert').filter({ hasText: 'Reconnecting to the pad' });

      link.stall();
      // Carrel drops a WebSocket that misses its pings only after 30 to 60 s: before then only the
      // kiosk can notice. Items laid on the pad meanwhile showed nothing, and the screen said nothing.
      await until(
        async () => (await reconnecting.count()) === 1 || undefined,
        25_000,
        'the kiosk never said it had lost its link to Carrel',
      );
      link.resume();
      await until(
        async () => (await reconnecting.count()) === 0 || undefined,
        25_000,
        'the kiosk never came back',
      );
      placeTag('31000005'); // Dune
      await expect
        .poll(itemText(kiosk, '31000005'), { timeout: 10_000 })
        .toMatch(/Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/);
    } finally {
      await link.close();
    }
  }, 90_000);
});
