import { describe, expect, it } from 'vitest';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';
import { sampleLibraryWithPatron } from '../helpers/ils-fixture.js';
import { tempFolders } from '../helpers/temp-folders.js';

/**
 * A library whose patron barcodes carry letters (Code 39, `RPL-…`): such a number fits on a card's
 * face but not on magnetic stripe track 2 (digits only). A card issued with the patron's barcode as
 * its number and `magstripe: false` has no stripe, so the number need not fit one — whatever the
 * desk's own stripe setting; a card asked with a stripe must fit it, whatever the desk's setting.
 */
const LETTERED = 'RPL-2100042';
const newFolder = tempFolders('carrel-card-stripe-');

function cardDesk(deskStripe: boolean) {
  return cardPrinterDesk({
    magstripe: deskStripe,
    numbering: { symbology: 'code39' },
    ilsFixture: () => sampleLibraryWithPatron(newFolder(), LETTERED),
  });
}

describe('a card numbered with a patron barcode that has letters, on a desk that writes stripes', () => {
  const desk = cardDesk(true);

  it('is issued without a stripe when asked magstripe: false, the number printed on its face', async () => {
    const before = desk.cards().length;
    const preview = await fetch(`${desk.api()}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: LETTERED, number: 'patron', magstripe: false }),
    });
    expect(preview.status, preview.status === 200 ? '' : await preview.text()).toBe(200);
    expect(preview.headers.get('content-type')).toBe('image/png');
    const issued = await desk.call('POST', '/cards', {
      patron: LETTERED,
      number: 'patron',
      magstripe: false,
    });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', cardNumber: LETTERED, magstripe: null });
    const card = desk.cards().at(-1)!;
    expect(desk.cards()).toHaveLength(before + 1);
    expect(card.outcome).toBe('printed');
    expect(card.tracks).toEqual({});
  });

  it('is refused with a stripe (the desk’s setting), nothing printed', async () => {
    const before = desk.cards().length;
    const refused = await desk.call('POST', '/cards', { patron: LETTERED, number: 'patron' });
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/track 2/);
    expect(desk.cards()).toHaveLength(before);
  });
});

describe('a card numbered with a patron barcode that has letters, on a desk that writes no stripes', () => {
  const desk = cardDesk(false);

  it('is refused when asked magstripe: true, nothing printed; issued without', async () => {
    const before = desk.cards().length;
    const refused = await desk.call('POST', '/cards', {
      patron: LETTERED,
      number: 'patron',
      magstripe: true,
    });
    expect(refused.json.code, JSON.stringify(refused.json)).toBe('card_number_invalid');
    expect(refused.json.detail).toMatch(/track 2/);
    expect(desk.cards()).toHaveLength(before);
    const issued = await desk.call('POST', '/cards', { patron: LETTERED, number: 'patron' });
    expect(issued.json).toMatchObject({ result: 'issued', cardNumber: LETTERED, magstripe: null });
  });
});
