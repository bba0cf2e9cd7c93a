import { describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';

/**
 * A kiosk issuing library cards: it prints a card and encodes its chip at once, as soon as the
 * issue is answered, then the next. The simulated card printer (over its pty or TCP link) lays each
 * card it prints on the card pad (its FEIG pad simulator over TCP), the card before taken off — so
 * when the encode comes, the desk's kept view of the pad may still hold the card before (it stays
 * there until missed for a few inventory rounds) and not yet the new one. The chip written must be
 * the one lying on the pad now, each time.
 */
describe('a card encoded as soon as it is issued', () => {
  const { desk, call } = cardPrinterDesk({ alsoOnline: ['card-pad'] });

  /** The chips the pad simulator holds on its pad: what really lies there. */
  function chipsOnPad(): string[] {
    const pad = desk().desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    return pad
      .tags()
      .filter((tag) => tag.onPad)
      .map((tag) => String(tag.uid));
  }

  it('writes each new card’s chip, the one on the pad now, never the card taken off before it', async () => {
    const outcomes: Array<{ status: number; code?: string; chip: string; laid: string[] }> = [];
    for (let card = 0; card < 8; card++) {
      const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
      expect(issued.json).toMatchObject({ result: 'issued' });
      const laid = chipsOnPad();
      // No waiting for the desk's view of the pad: the kiosk encodes straight away.
      const encoded = await call('POST', `/cards/${issued.json.issueId}/rfid`);
      outcomes.push({ status: encoded.status, code: encoded.json.code, chip: encoded.json.rfidUid, laid });
      if (encoded.status === 200) expect(encoded.json.cardNumber).toBe(issued.json.cardNumber);
    }
    // Each encoded, the chip written the one the printer had just laid on the pad, alone there.
    expect(outcomes).toEqual(outcomes.map(({ laid }) => ({ status: 200, chip: laid[0], laid: [laid[0]] })));
    const encodedChips = outcomes.map(({ chip }) => chip);
    // Eight cards, eight chips: none written twice.
    expect(new Set(encodedChips).size).toBe(8);
    // The last chip holds its card's number as the desk reads it.
    await expect
      .poll(async () =>
        (await call('GET', '/rfid/card-pad/tags')).json.tags?.map((t: { uid: string }) => t.uid),
      )
      .toEqual([encodedChips.at(-1)]);
    const [last] = (await call('GET', '/rfid/card-pad/tags')).json.tags;
    expect(last.item).toMatchObject({ typeOfUsage: 'patron-card' });
  });
});
