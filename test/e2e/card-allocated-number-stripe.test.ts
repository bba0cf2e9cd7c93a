import { describe, expect, it } from 'vitest';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';
import { sampleLibraryWithPatron } from '../helpers/ils-fixture.js';
import { tempFolders } from '../helpers/temp-folders.js';

/**
 * A card with a new number (`number: allocate`) and a magnetic stripe: the stripe is track 2,
 * which holds digits only (ISO 7811). A Code 39 number — a prefix with letters, or the mod-43
 * check character, a letter or a sign for most numbers — cannot go on it: every such card would
 * fail its stripe and go to the reject box, one card spent after another. The issue is refused
 * before a card is taken, in words that say what to do; without a stripe the card is issued.
 */
/** A patron barcode of 38 digits: one more than track 2 holds. */
const LONG = '2'.repeat(38);
const newFolder = tempFolders('carrel-card-long-');

function cardDesk(
  numbering: { symbology: 'codabar' | 'code39'; prefix: string },
  deskStripe: boolean,
  fixture?: () => string,
) {
  const desk = cardPrinterDesk({
    magstripe: deskStripe,
    numbering,
    ...(fixture ? { ilsFixture: fixture } : {}),
  });
  return {
    call: (path: string, body: unknown) => desk.call('POST', path, body),
    cards: desk.cards,
  };
}

describe('Code 39 numbering with letters (RPL…) on a desk that writes no stripes', () => {
  const desk = cardDesk({ symbology: 'code39', prefix: 'RPL' }, false);

  it('a new number asked with a stripe is refused, no card taken; the preview says the same', async () => {
    const before = desk.cards().length;
    const request = { patron: '21000001', number: 'allocate', magstripe: true };
    const refused = await desk.call('/cards', request);
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.code).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/track 2/);
    expect(refused.json.detail).toMatch(/digits only/);
    expect(refused.json.detail).toMatch(/magstripe: false/);
    const preview = await desk.call('/cards/preview', request);
    expect(preview.status).toBe(422);
    expect(preview.json.code).toBe('card_number_invalid');
    expect(desk.cards()).toHaveLength(before);
  });

  it('the same card without a stripe is issued, its number on its face only', async () => {
    const before = desk.cards().length;
    const issued = await desk.call('/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', magstripe: null });
    expect(issued.json.cardNumber).toMatch(/^RPL\d{8}.$/);
    expect(desk.cards()).toHaveLength(before + 1);
    expect(desk.cards().at(-1)).toMatchObject({ outcome: 'printed', tracks: {} });
  });
});

describe('Code 39 numbering with a digits-only prefix on a desk that writes stripes', () => {
  const desk = cardDesk({ symbology: 'code39', prefix: '21234' }, true);

  it('a new number is refused (its check character is most often a letter), no card taken', async () => {
    const before = desk.cards().length;
    const refused = await desk.call('/cards', { patron: '21000001', number: 'allocate' });
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.code).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/check character/);
    expect(refused.json.detail).toMatch(/magstripe: false/);
    expect(desk.cards()).toHaveLength(before);
  });

  it("the patron's own (digits) barcode is still issued with its stripe", async () => {
    const issued = await desk.call('/cards', { patron: '21000001', number: 'patron' });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', cardNumber: '21000001', magstripe: 'verified' });
  });
});

describe('a Code 39 patron barcode longer than track 2 holds (38 digits)', () => {
  const desk = cardDesk({ symbology: 'code39', prefix: '21234' }, true, () =>
    sampleLibraryWithPatron(newFolder(), LONG),
  );

  it('is refused with a stripe for the stripe’s reason (at most 37), not as unprintable; issued without one', async () => {
    const before = desk.cards().length;
    const refused = await desk.call('/cards', { patron: LONG, number: 'patron' });
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.code).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/track 2 holds at most 37/);
    expect(refused.json.detail).toMatch(/magstripe: false/);
    expect(refused.json.detail).not.toMatch(/cannot be printed/);
    expect(refused.json.detail).not.toContain(LONG);
    expect(desk.cards()).toHaveLength(before);
    const issued = await desk.call('/cards', { patron: LONG, number: 'patron', magstripe: false });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', cardNumber: LONG, magstripe: null });
    expect(desk.cards().at(-1)).toMatchObject({ outcome: 'printed', tracks: {} });
  });
});

describe('a patron barcode longer than a Codabar card number and track 2 hold (38 digits), on the default Codabar desk', () => {
  const desk = cardDesk({ symbology: 'codabar', prefix: '21234' }, true, () =>
    sampleLibraryWithPatron(newFolder(), LONG),
  );

  it('is refused saying both limits (24 digits on the card’s face, 37 on track 2) and what to do, no card taken', async () => {
    const before = desk.cards().length;
    const refused = await desk.call('/cards', { patron: LONG, number: 'patron' });
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.code).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/38 digits/);
    expect(refused.json.detail).toMatch(/Codabar[^:]*at most 24/);
    expect(refused.json.detail).toMatch(/track 2 holds at most 37/);
    expect(refused.json.detail).toMatch(/number: allocate/);
    expect(refused.json.detail).not.toContain(LONG);
    // Without a stripe the face still cannot hold it: said alike, without the stripe.
    const faceOnly = await desk.call('/cards', { patron: LONG, number: 'patron', magstripe: false });
    expect(faceOnly.status).toBe(422);
    expect(faceOnly.json.detail).toMatch(/Codabar[^:]*at most 24/);
    expect(faceOnly.json.detail).not.toMatch(/track 2/);
    expect(desk.cards()).toHaveLength(before);
  });
});
