import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { decodePng, encodePng } from '../../src/core/png.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk, withTokens } from '../helpers/desk.js';
import { sampleLibraryDatesDaysAgo } from '../helpers/library-date.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

const STAFF = 'staff-token-0123456789abcdef';
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');

/** A portrait photo: a face-coloured oval on green, 240 × 320. */
function photo(): Buffer {
  const width = 240;
  const height = 320;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = ((x - 120) / 80) ** 2 + ((y - 150) / 110) ** 2 < 1;
      rgba.set(inside ? [225, 185, 150, 255] : [40, 150, 90, 255], (y * width + x) * 4);
    }
  return encodePng(rgba, width, height);
}

/**
 * The desk's card page in Debian's Chromium against the simulated desk: staff type a patron's
 * barcode, upload a photo, preview, print. The card the simulated printer made is the preview the
 * page showed, pixel for pixel, and its stripe reads back the card number.
 */
describe.skipIf(skip !== undefined)('the card desk page in Chromium', { timeout: 60_000 }, () => {
  let testDesk: TestDesk;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    testDesk = await startTestDesk((config) =>
      withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }]),
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await testDesk?.stop();
  });

  const sim = () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

  it('previews a card with the patron’s photo, prints it, and the printed card is the preview', async () => {
    // The printer comes online while the page loads: the page reads it once, so reload until it has.
    await expect
      .poll(
        async () => {
          await page.goto(`${testDesk.api}/cards#token=${STAFF}`);
          await expect.poll(() => page.locator('#printer').textContent()).not.toBe('Card printer…');
          const problem = await page.locator('#problem').textContent();
          return `${await page.locator('#printer').textContent()}${problem ? ` — ${problem}` : ''}`;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe('cards-1: online');
    // Nothing to encode before a card is printed: no Encode chip on the page yet.
    expect(await page.getByRole('button', { name: 'Encode chip' }).isVisible()).toBe(false);
    await page.getByLabel('Patron barcode').fill('21000002');
    await page
      .getByLabel('Photo')
      .setInputFiles({ name: 'patron.png', mimeType: 'image/png', buffer: photo() });
    await expect.poll(() => page.locator('#progress').textContent()).toBe('Photo ready.');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    const src = await page.locator('#front').getAttribute('src');
    expect(src).toMatch(/^data:image\/png;base64,/);
    const preview = decodePng(Buffer.from(src!.split(',')[1]!, 'base64'));
    expect(await page.locator('#back').isVisible()).toBe(true);
    // A registration that runs on: nothing to warn of.
    expect(await page.locator('#registration-expired').isVisible()).toBe(false);

    const before = sim().cards().length;
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toBe('Card 21000002 issued (1 card used). Stripe read back and verified.');
    const card = sim().cards()[before]!;
    expect(card).toMatchObject({ outcome: 'printed', tracks: { 2: '21000002' } });
    const printed = decodePng(sim().cardPng(card.number, 'front')!);
    expect(Buffer.from(printed.rgba).equals(Buffer.from(preview.rgba))).toBe(true);

    const issues = await fetch(`${testDesk.api}/api/v1/cards?limit=1`, {
      headers: { authorization: `Bearer ${STAFF}` },
    }).then((r) => r.json() as Promise<{ issues: unknown[] }>);
    expect(issues.issues[0]).toMatchObject({ cardNumber: '21000002', staff: 'desk-staff', result: 'issued' });

    await page.getByRole('button', { name: 'Reprint (replaces the card)' }).click();
    // Said as a reprint, so it does not read as the line of the card before it.
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toBe(
        'Card 21000002 issued, replacing the card before it with the same number (1 card used). Stripe read back and verified.',
      );
    expect(sim().cards()).toHaveLength(before + 2);
    // The same number again: nothing for the ILS to learn.
    expect(await page.locator('#ils-todo').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('encodes the chip of the card just printed on the card pad, and says what to take off the pad first', async () => {
    const cardPad = testDesk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    const tagsOnPad = async () =>
      (
        (await fetch(`${testDesk.api}/api/v1/rfid/card-pad/tags`, {
          headers: { authorization: `Bearer ${STAFF}` },
        }).then((r) => r.json())) as {
          tags: Array<{ item: { primaryItemId: string; typeOfUsage?: string } | null }>;
        }
      ).tags;
    expect(await page.locator('#chip-hint').textContent()).toBe(
      'To encode a card’s chip, lay that card alone on the RFID pad “card-pad”, then press Encode chip of its number.',
    );
    // The card reprinted under the same number: one offer, the newest card's.
    expect(await page.locator('#chip-cards li span').allTextContents()).toEqual([
      'Card 21000002, printed: its chip is not encoded yet.',
    ]);
    // A book put down on the card pad beside the new card.
    const book = cardPad.place({ item: { id: '31000030' } });
    await expect.poll(async () => (await tagsOnPad()).length, { timeout: 5000 }).toBe(2);
    await page.getByRole('button', { name: 'Encode chip' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 5000 })
      .toMatch(/^More than one tag on the RFID pad: .*take the other items off the pad/);
    expect(await page.locator('#chip-cards li span').textContent()).toBe(
      'Card 21000002: the chip was not encoded.',
    );
    cardPad.remove(String(book.uid));
    await expect.poll(async () => (await tagsOnPad()).length, { timeout: 5000 }).toBe(1);
    await page.getByRole('button', { name: 'Encode chip' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 5000 })
      .toBe('Chip of card 21000002 encoded and read back: the card is ready.');
    expect(await page.locator('#chip').isHidden()).toBe(true);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    expect((await tagsOnPad())[0]!.item).toMatchObject({
      primaryItemId: '21000002',
      typeOfUsage: 'patron-card',
    });
    // The refusal's 409 is the only thing the browser logged.
    expect(pageErrors.filter((text) => !/status of 409/.test(text))).toEqual([]);
    pageErrors.length = 0;
  });

  it('encodes the next patron’s card too, as it comes out of the printer, with no help', async () => {
    const tagsOnPad = async () =>
      (
        (await fetch(`${testDesk.api}/api/v1/rfid/card-pad/tags`, {
          headers: { authorization: `Bearer ${STAFF}` },
        }).then((r) => r.json())) as {
          tags: Array<{ uid: string; secured: boolean | null; item: { primaryItemId: string } | null }>;
        }
      ).tags;
    const [before] = await tagsOnPad();
    await page.getByLabel('Patron barcode').fill('21000003');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toMatch(/^Card 21000003 issued/);
    expect(await page.locator('#chip-cards li span').allTextContents()).toEqual([
      'Card 21000003, printed: its chip is not encoded yet.',
    ]);
    // Staff lay the card that came out on the pad: the desk reads it there alone, the card before gone.
    await expect
      .poll(async () => (await tagsOnPad()).map((tag) => tag.uid !== before!.uid), { timeout: 5000 })
      .toEqual([true]);
    await page.getByRole('button', { name: 'Encode chip' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 5000 })
      .toBe('Chip of card 21000003 encoded and read back: the card is ready.');
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    const [card, ...others] = await tagsOnPad();
    expect(others).toEqual([]);
    expect(card!.uid).not.toBe(before!.uid);
    expect(card).toMatchObject({ secured: false, item: { primaryItemId: '21000003' } });
    await page.getByLabel('Patron barcode').fill('21000002');
    expect(pageErrors).toEqual([]);
  });

  it('tells staff what the ILS must learn of a new card number and of the card it replaces', async () => {
    await page.getByLabel('A new number').check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toMatch(/^Card 21234\d{9} issued/);
    const first = /Card (\d+)/.exec((await page.locator('#progress').textContent())!)![1]!;
    const todo = () => page.locator('#ils-todo li span').allTextContents();
    expect(await todo()).toEqual([`Card ${first}, printed: in the ILS, give its patron this card number.`]);
    await page.getByRole('button', { name: 'Reprint (replaces the card)' }).click();
    const issued = async () =>
      /^Card (\d+) issued/.exec((await page.locator('#progress').textContent()) ?? '')?.[1];
    const another = async () => {
      const number = await issued();
      return number !== first ? number : undefined;
    };
    await expect.poll(another, { timeout: 15_000 }).toMatch(/^21234\d{9}$/);
    const second = (await another())!;
    // The card it replaced: its step is said anew by this one's, not twice.
    expect(await todo()).toEqual([
      `Card ${second}, printed: in the ILS, give its patron this card number and block the old card ${first}.`,
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps a printed card’s ILS step and chip offer, named by its card number, when the next patron is entered, until staff say it is done', async () => {
    const step = page.locator('#ils-todo li');
    const [, card] =
      /^Card (\d+), printed: in the ILS, give its patron this card number and block/.exec(
        (await step.locator('span').textContent()) ?? '',
      ) ?? [];
    expect(card).toMatch(/^21234\d{9}$/);
    // The next patron: the step and the chip offer stay, each naming the card printed, not the patron
    // now entered (nor the one the card was for, by name or barcode).
    await page.getByLabel("The patron's barcode").check();
    await page.getByLabel('Patron barcode').fill('21000001');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(await step.count()).toBe(1);
    expect(await step.isVisible()).toBe(true);
    expect(await step.locator('span').textContent()).toMatch(new RegExp(`^Card ${card}, printed: `));
    expect(await page.locator('#chip-cards li span').allTextContents()).toEqual([
      `Card ${card}, printed: its chip is not encoded yet.`,
    ]);
    expect(
      await page.getByRole('button', { name: `Encode chip of card ${card}`, exact: true }).isVisible(),
    ).toBe(true);
    // Reprint replaces the card printed last: offered for the next patron, it would print theirs as
    // replacing another patron's card, and tell staff to block that one.
    expect(await page.getByRole('button', { name: 'Reprint (replaces the card)' }).isVisible()).toBe(false);
    const shown = `${await page.locator('#ils-todo').textContent()} ${await page.locator('#chip').textContent()}`;
    expect(shown).not.toMatch(/21000001|21000002|Zoë|Åström|Émile|Côté/);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'card-page-ils-step-next-patron.png'), fullPage: true });

    // The next patron's card printed (their own barcode: nothing for the ILS): the step is still there.
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toMatch(/^Card 21000001 issued/);
    expect(await step.count()).toBe(1);
    // Each card printed whose chip is not encoded keeps its offer, named by its number.
    expect(await page.locator('#chip-cards li button', { hasText: 'Encode chip' }).allTextContents()).toEqual(
      [`Encode chip of card ${card}`, 'Encode chip of card 21000001'],
    );
    expect(await page.getByRole('button', { name: 'Reprint (replaces the card)' }).isVisible()).toBe(true);
    // Staff have done it in the ILS: Done takes it away.
    await page.getByRole('button', { name: `Done in the ILS for card ${card}` }).click();
    await expect.poll(() => step.count(), { timeout: 5000 }).toBe(0);
    expect(await page.locator('#ils-todo').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('refuses a card for a patron whose registration has expired, saying when, and prints it when staff press Print anyway', async () => {
    await page.getByLabel("The patron's barcode").check();
    await page.getByLabel('Patron barcode').fill('21000004'); // expired 30 days ago at the sample library
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    // Staff see it at the preview, before they press Print: in words beside the card, which shows
    // the date gone by; the same date the refusal names.
    const warning = page.locator('#registration-expired');
    expect(await warning.isVisible()).toBe(true);
    const [, ended] =
      /^The patron’s registration has expired: it ended on (\d{4}-\d{2}-\d{2}), the date this card shows\. Renew it in the library system first, or confirm when you print\.$/.exec(
        (await warning.textContent()) ?? '',
      ) ?? [];
    expect(ended).toBeDefined();
    expect(sampleLibraryDatesDaysAgo(30)).toContain(ended);
    expect(await warning.getAttribute('role')).toBe('status');
    // Beside the card: between the form and the front image, level with it on the page.
    const [warningBox, frontBox] = [await warning.boundingBox(), await page.locator('#front').boundingBox()];
    expect(warningBox!.y + warningBox!.height).toBeLessThanOrEqual(frontBox!.y + 1);
    expect(frontBox!.y - (warningBox!.y + warningBox!.height)).toBeLessThan(40);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'card-page-registration-expired.png'), fullPage: true });
    const printed = sim().cards().length;
    const anyway = page.getByRole('button', { name: 'Print anyway (registration expired)' });
    expect(await anyway.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
      .toMatch(
        /^The patron’s registration has expired: it ended on \d{4}-\d{2}-\d{2}, the ILS’s expiry date: renew it in the library system first, or confirm to issue the card anyway$/,
      );
    expect(sim().cards()).toHaveLength(printed);
    await anyway.click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toMatch(/^Card 21000004 issued/);
    expect(sim().cards()).toHaveLength(printed + 1);
    expect(await anyway.isVisible()).toBe(false);
    expect(await page.locator('#problem').isVisible()).toBe(false);
    // Another patron: the warning was about the one before.
    await page.getByLabel('Patron barcode').fill('21000002');
    expect(await warning.isVisible()).toBe(false);
    expect(pageErrors.filter((line) => !line.includes('409'))).toEqual([]);
    pageErrors.length = 0; // the refused print's 409 is logged by Chromium as a failed resource
  });

  it('previews the card when staff type or scan the barcode and press Enter, as a keyboard scanner does', async () => {
    await page.goto(`${testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => page.locator('#template option').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const before = sim().cards().length;
    // (The page may be the one the test before left: the address differs by its fragment alone.)
    await page.getByLabel('Patron barcode').fill('');
    await page.getByLabel('Patron barcode').focus();
    await page.keyboard.type('21000002');
    // Enter did nothing: the form's Print card is off until a preview, and staff had to find Preview.
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(await page.locator('#front').isVisible()).toBe(true);
    // Nothing printed by it: printing is Print card, pressed once the preview is seen.
    expect(sim().cards()).toHaveLength(before);
    expect(await page.getByRole('button', { name: 'Print card' }).isEnabled()).toBe(true);
    // The barcode typed again (a second scan): Enter previews that card, it does not print the one before.
    await page.getByLabel('Patron barcode').fill('');
    await page.getByLabel('Patron barcode').focus();
    await page.keyboard.type('21000001');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(sim().cards()).toHaveLength(before);
    expect(pageErrors).toEqual([]);
  });

  it('tells staff about a file that is not a photo', async () => {
    await page
      .getByLabel('Photo')
      .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('hello') });
    await expect.poll(() => page.locator('#problem').textContent()).toContain('not a PNG or JPEG');
    pageErrors.length = 0; // the refused upload's 415 is logged by Chromium as a failed resource
  });

  it('tells staff in words why a photo of another kind, or too large, is refused', async () => {
    await page.goto(`${testDesk.api}/cards#token=${STAFF}`);
    // A GIF chosen with "All files", and a phone's photo sent as it is (HEIC).
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    await page.getByLabel('Photo').setInputFiles({ name: 'scan.gif', mimeType: 'image/gif', buffer: gif });
    await expect
      .poll(() => page.locator('#problem').textContent())
      .toBe('The photo is not a PNG or JPEG image: choose a JPEG or PNG photo, or take one with the camera.');
    await page.getByLabel('Photo').setInputFiles({
      name: 'IMG_0042.HEIC',
      mimeType: 'image/heic',
      buffer: Buffer.concat([Buffer.from('000000186674797068656963', 'hex'), Buffer.alloc(64)]),
    });
    await expect.poll(() => page.locator('#problem').textContent()).toContain('not a PNG or JPEG');
    // A camera's full-size photo: 12 MB.
    const huge = Buffer.alloc(12 * 1024 * 1024);
    huge.set([0xff, 0xd8, 0xff, 0xe0]);
    await page
      .getByLabel('Photo')
      .setInputFiles({ name: 'DSC_0001.JPG', mimeType: 'image/jpeg', buffer: huge });
    await expect
      .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
      .toBe('The photo is too large: a card photo may be at most 8 MB');
    pageErrors.length = 0; // the refused uploads are logged by Chromium as failed resources
  });

  it('asks for a new preview when the photo changes, so the card printed is the one previewed', async () => {
    await page.goto(`${testDesk.api}/cards`);
    await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
    await page.getByLabel('Patron barcode').fill('21000002');
    await page
      .getByLabel('Photo')
      .setInputFiles({ name: 'patron.png', mimeType: 'image/png', buffer: photo() });
    await expect.poll(() => page.locator('#progress').textContent()).toBe('Photo ready.');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(await page.getByRole('button', { name: 'Print card' }).isEnabled()).toBe(true);

    await page
      .getByLabel('Photo')
      .setInputFiles({ name: 'another.png', mimeType: 'image/png', buffer: photo() });
    await expect.poll(() => page.locator('#progress').textContent()).toBe('Photo ready.');
    expect(await page.getByRole('button', { name: 'Print card' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(await page.getByRole('button', { name: 'Print card' }).isEnabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('prints one card when the answer to the print was lost and staff press Print again', async () => {
    const sent: Array<{ requestId?: string }> = [];
    let lose = true;
    await page.route('**/api/v1/cards', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      sent.push(route.request().postDataJSON());
      if (!lose) return route.continue();
      // The desk prints the card; its answer never reaches the page (Wi-Fi dropped, say).
      lose = false;
      await route.fetch();
      await route.abort('connectionreset');
    });
    try {
      const before = sim().cards().length;
      await page.getByRole('button', { name: 'Print card' }).click();
      // The page hears of the loss only once the desk has printed the card and written its stripe,
      // which takes the simulated printer seconds on a loaded machine.
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 15_000 })
        .toContain('cannot be reached');
      expect(sim().cards()).toHaveLength(before + 1);
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
        .toBe('Card 21000002 issued (1 card used). Stripe read back and verified.');
      expect(sim().cards()).toHaveLength(before + 1);
      expect(sent).toHaveLength(2);
      expect(sent[0]!.requestId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(sent[1]!.requestId).toBe(sent[0]!.requestId);

      // Settled: the next card is another request.
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect.poll(() => sim().cards().length, { timeout: 15_000 }).toBe(before + 2);
      await expect.poll(() => sent.length).toBe(3);
      expect(sent[2]!.requestId).not.toBe(sent[0]!.requestId);
    } finally {
      await page.unroute('**/api/v1/cards');
    }
    pageErrors.length = 0; // the lost answer is logged by Chromium as a failed resource
  });
  it('says in words why a card was not printed and what to do: the feeder empty, the ribbon out', async () => {
    const faults = (change: Record<string, boolean>) =>
      fetch(`${sim().httpUrl}/api/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(change),
      });
    await page.goto(`${testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
    await page.getByLabel('Patron barcode').fill('21000003');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    const progress = () => page.locator('#progress').textContent();
    try {
      await faults({ noCard: true });
      // Staff see it before they press Print: the page follows the printer's state.
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toBe('cards-1: degraded — the card feeder is empty. Put cards in the feeder, then print again.');
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(progress, { timeout: 15_000 })
        .toBe(
          'The card was not issued: the card feeder is empty. Put cards in the feeder, then print again.',
        );
      await faults({ noCard: false, ribbonOut: true });
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(progress, { timeout: 15_000 })
        .toBe('The card was not issued: the ribbon has run out. Put in a new ribbon, then print again.');
    } finally {
      await faults({ noCard: false, ribbonOut: false });
    }
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect.poll(progress, { timeout: 15_000 }).toMatch(/^Card 21000003 issued/);
  });

  it('says in words, not a code, when the printer reports a fault it has no name for', async () => {
    // A firmware's own error text ("ERR HEAD TEMP"), as the printer's condition and as its answer to
    // taking a card: Carrel knows it only as an error.
    const model = sim().model as EvolisModel;
    const handle = model.handle.bind(model);
    model.handle = (command) =>
      command.name === 'Rlr' || command.name === 'Ss' ? 'ERR HEAD TEMP' : handle(command);
    const words =
      'the printer reports a fault Carrel has no words for. Look at the printer’s display or lights and put right what it shows, then print again. If it keeps happening, tell IT.';
    try {
      await page.goto(`${testDesk.api}/cards#token=${STAFF}`);
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toBe(`cards-1: degraded — ${words}`);
      await page.getByLabel('Patron barcode').fill('21000003');
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Preview ready.');
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
        .toBe(`The card was not issued: ${words}`);
    } finally {
      model.handle = handle;
    }
  });

  it('says once, not twice, that the ILS does not know a patron', async () => {
    await page.getByLabel('Patron barcode').fill('29999999');
    await page.getByRole('button', { name: 'Preview' }).click();
    // Its detail says what its title says: 'The ILS does not know this patron: the ILS does not…'.
    await expect
      .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
      .toBe('The ILS does not know this patron.');
    pageErrors.length = 0; // the refused preview's 404 is logged by Chromium as a failed resource
  });
});
