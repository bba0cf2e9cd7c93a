import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';

const skip = chromiumSkipReason();
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');

/**
 * The card page in Debian's Chromium against the simulated desk, whose printer's cards have a chip
 * encoded on the card pad: a second card printed before the first one's chip is encoded leaves the
 * first its offer, each named by its card number, and each offer encodes its own card's issue. A
 * card printed to replace one takes that one's offer away: it is to be blocked, not encoded.
 */
describe.skipIf(skip !== undefined)('the card page’s chip offers', { timeout: 60_000 }, () => {
  const desk = cardDeskPage();

  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  async function api(path: string): Promise<any> {
    const response = await fetch(`${desk.testDesk.api}/api/v1${path}`, {
      headers: { authorization: `Bearer ${STAFF}` },
    });
    return response.json();
  }

  /** Prints a card with a new number for the patron; its card number. */
  async function printFor(patron: string, button = 'Print card'): Promise<string> {
    const { page } = desk;
    const issued = async () =>
      /^Card (\d+) issued/.exec((await page.locator('#progress').textContent()) ?? '')?.[1];
    const before = await issued();
    if (button === 'Print card') {
      await page.getByLabel('Patron barcode').fill(patron);
      await page.getByLabel('A new number').check();
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Preview ready.');
    }
    await page.getByRole('button', { name: button }).click();
    await expect.poll(async () => ((await issued()) ?? before) !== before, { timeout: 15_000 }).toBe(true);
    return (await issued())!;
  }

  /** Takes every chip off the card pad and lays one new card's there: its UID once the desk reads it. */
  async function layCardOnPad(): Promise<string> {
    const pad = desk.testDesk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    for (const tag of pad.tags()) pad.remove(String(tag.uid));
    const uid = String(pad.place({ preset: 'blank' }).uid);
    await expect
      .poll(async () => (await api('/rfid/card-pad/tags')).tags.map((tag: { uid: string }) => tag.uid), {
        timeout: 5000,
      })
      .toEqual([uid]);
    return uid;
  }

  /** The card page opened afresh (each test on its own: run alone, it does not lean on another's page). */
  async function openPage(): Promise<void> {
    await desk.page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => desk.page.locator('#printer').textContent()).toBe('cards-1: online');
  }

  const offers = () => desk.page.locator('#chip-cards li span').allTextContents();
  const encode = (card: string) =>
    desk.page.getByRole('button', { name: `Encode chip of card ${card}`, exact: true });

  it('keeps each printed card’s chip offer, named by its number, until that card’s chip is encoded', async () => {
    const { page } = desk;
    await openPage();
    const first = await printFor('21000001');
    expect(first).toMatch(/^21234\d{9}$/);
    const second = await printFor('21000002');
    expect(second).toMatch(/^21234\d{9}$/);
    // The first card is still on the desk, its chip blank: its offer stays beside the second's.
    expect(await encode(first).isVisible()).toBe(true);
    expect(await encode(second).isVisible()).toBe(true);
    expect(await offers()).toEqual([
      `Card ${first}, printed: its chip is not encoded yet.`,
      `Card ${second}, printed: its chip is not encoded yet.`,
    ]);
    expect(await page.locator('#chip-hint').textContent()).toBe(
      'To encode a card’s chip, lay that card alone on the RFID pad “card-pad”, then press Encode chip of its number.',
    );
    expect(await page.locator('#chip').textContent()).not.toMatch(/2100000\d|Zoë|Åström|Émile|Côté/);

    // The second card reprinted (it came out smudged): it is to be blocked, its offer goes; the
    // reprint's comes, and the first card's stays.
    const third = await printFor('21000002', 'Reprint (replaces the card)');
    expect(third).toMatch(/^21234\d{9}$/);
    expect(await offers()).toEqual([
      `Card ${first}, printed: its chip is not encoded yet.`,
      `Card ${third}, printed: its chip is not encoded yet.`,
    ]);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'card-page-chip-offers.png'), fullPage: true });

    // Staff lay the first card on the pad and press its offer: its own issue gets the chip.
    const firstUid = await layCardOnPad();
    await encode(first).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 5000 })
      .toBe(`Chip of card ${first} encoded and read back: the card is ready.`);
    expect(await offers()).toEqual([`Card ${third}, printed: its chip is not encoded yet.`]);
    const thirdUid = await layCardOnPad();
    await encode(third).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 5000 })
      .toBe(`Chip of card ${third} encoded and read back: the card is ready.`);
    expect(await page.locator('#chip').isHidden()).toBe(true);

    const issues: Array<{ cardNumber: string; rfidUid: string | null }> = (await api('/cards?limit=5'))
      .issues;
    const uidOf = (card: string) => issues.find((issue) => issue.cardNumber === card)?.rfidUid;
    expect([uidOf(first), uidOf(second), uidOf(third)]).toEqual([firstUid, null, thirdUid]);
    expect(desk.pageErrors).toEqual([]);
  });

  it('says a chip whose write failed partway may hold the number, and writes that same card again', async () => {
    const { page } = desk;
    await openPage();
    const card = await printFor('21000001');
    const pad = desk.testDesk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    const uid = await layCardOnPad();
    // Staff lift the card while its chip is written: half its blocks written, the card off the pad.
    pad.setFaults({ leaveDuringWriteRate: 1 });
    await encode(card).click();
    await expect
      .poll(offers, { timeout: 5000 })
      .toEqual([
        `Card ${card}: its chip write failed partway (the card moved off the pad?), so the chip may hold part of the number, or all of it. Lay this same card alone on the pad and press Encode chip to write it again; no other card’s chip will do. If the card is destroyed, press Destroyed.`,
      ]);
    pad.setFaults({ leaveDuringWriteRate: 0 });
    expect(
      await page.getByRole('button', { name: `Destroyed: card ${card}, give up its chip` }).count(),
    ).toBe(1);
    // A voice-control user says the words on a button: each one's spoken name begins with them.
    const buttons = await page
      .locator('#chip-cards button')
      .evaluateAll((found) => found.map((b) => [b.textContent ?? '', b.getAttribute('aria-label') ?? '']));
    for (const [text, label] of buttons) expect(label === '' || label.startsWith(text)).toBe(true);
    // Laid back, the same card: Encode chip writes its chip whole.
    pad.move(uid, true);
    await expect
      .poll(async () => (await api('/rfid/card-pad/tags')).tags.map((tag: { uid: string }) => tag.uid), {
        timeout: 5000,
      })
      .toEqual([uid]);
    await encode(card).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 5000 })
      .toBe(`Chip of card ${card} encoded and read back: the card is ready.`);
    expect(desk.pageErrors).toEqual([]);
  });
});
