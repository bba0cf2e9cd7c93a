import type { Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { chromiumSkipReason, sharedChromium } from '../helpers/browser.js';
import { heading, kioskInChromium, logIn } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/** Long enough that the session cannot end while the test looks at it. */
const INACTIVITY_SECONDS = 120;
const MINUTE = 60_000;

/** The seconds the kiosk's countdown says are left ("Session ends in 1:58 if idle"). */
async function secondsLeft(kiosk: Page): Promise<number> {
  const text = (await kiosk.getByRole('timer').textContent()) ?? '';
  const shown = /Session ends in (\d+):(\d\d) if idle/.exec(text);
  if (!shown) throw new Error(`no countdown on the screen: ${JSON.stringify(text)}`);
  return Number(shown[1]) * 60 + Number(shown[2]);
}

/**
 * A kiosk PC without an RTC battery whose wall clock NTP steps after boot: Carrel ends the session
 * on its own monotonic timer, so the countdown the patron reads must go on counting the time Carrel
 * gives, whatever the PC's wall clock does — not jump to 0:00 and ask 'Are you still there?' of a
 * patron with two minutes left, nor freeze at ten minutes while the session ends under her.
 */
describe.skipIf(skip !== undefined)('the kiosk countdown when the PC’s wall clock is stepped', () => {
  const shared = sharedChromium();
  const fixture = kioskInChromium({ lent: [], inactivitySeconds: INACTIVITY_SECONDS, browser: shared });

  it('keeps counting down the time Carrel gives the session, the clock stepped forward and back', async ({
    expect,
  }) => {
    await fixture.clearPad();
    // Chromium's clock, running as the real one, so the test can step its wall time.
    const kiosk = await fixture.openScreen((page) => page.clock.install());
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    await expect.poll(() => secondsLeft(kiosk)).toBeGreaterThan(INACTIVITY_SECONDS - 10);
    const before = await secondsLeft(kiosk);
    const stillHere = kiosk.getByRole('button', { name: 'I am still here' });

    // NTP puts the wall clock ten minutes forward: no time passed.
    await kiosk.clock.setSystemTime(Date.now() + 10 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const afterForward = await secondsLeft(kiosk);
    expect({ before, afterForward }).toEqual({ before, afterForward: expect.toSatisfy(near(before)) });
    expect(await stillHere.isVisible()).toBe(false);

    // …and twenty minutes back.
    await kiosk.clock.setSystemTime(Date.now() - 10 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const afterBack = await secondsLeft(kiosk);
    expect({ before, afterBack }).toEqual({ before, afterBack: expect.toSatisfy(near(before)) });

    // Time passing still counts: a minute on, a minute less.
    await kiosk.clock.fastForward(MINUTE);
    await expect.poll(() => secondsLeft(kiosk)).toBeLessThanOrEqual(before - 60);
    expect(await secondsLeft(kiosk)).toBeGreaterThan(before - 70);
    expect(await heading(kiosk)()).toBe('Hello, Zoë Åström');
  }, 40_000);
});

/** A count the few seconds the test took below `seconds`. */
const near = (seconds: number) => (value: number) => value <= seconds && value >= seconds - 6;
