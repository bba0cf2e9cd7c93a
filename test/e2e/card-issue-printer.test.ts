import { describe, expect, it } from 'vitest';
import { cardPrinterDesk, withSecondCardPrinter } from '../helpers/card-printer-desk.js';

/**
 * A desk with two card printers: `cards-1` (the simulated desk's, its cards' chips encoded on the
 * card pad) and `cards-2` beside it, whose cards have no chip. An issue is one printer's: asked of
 * the other printer by `?printer=`, it is not found there — as a print job is not found at another
 * printer — and nothing is encoded or settled; asked of no printer, the printer that made it answers.
 */
describe('a card issue asked of a printer', () => {
  // The desk's printer and its simulator again, as a second one: no pad, no cards laid on one.
  const { call } = cardPrinterDesk({ change: withSecondCardPrinter, alsoOnline: ['cards-2'] });

  const recordOf = async (printer: string, issueId: string) =>
    (await call('GET', `/cards?printer=${printer}&limit=10`)).json.issues.find(
      (issue: { issueId: string }) => issue.issueId === issueId,
    );

  it('refuses an issue of another printer than the one named, in words, and leaves its record as it was', async () => {
    const first = await call('POST', '/cards', { printer: 'cards-1', patron: '21000001' });
    expect(first.json).toMatchObject({ result: 'issued', device: 'cards-1' });
    const { issueId } = first.json;
    for (const step of ['rfid', 'ils-done', 'chip-given-up']) {
      const refused = await call('POST', `/cards/${issueId}/${step}?printer=cards-2`);
      expect(refused, step).toMatchObject({
        status: 404,
        json: {
          code: 'card_issue_not_found',
          detail:
            'that card issue is card printer "cards-1"’s, not "cards-2"’s: ask for it with ?printer=cards-1, or name no printer',
        },
      });
    }
    expect(await recordOf('cards-1', issueId)).toMatchObject({
      rfidUid: null,
      ilsDoneAt: null,
      chipGivenUpAt: null,
    });
    // The printer that made it answers for it.
    const done = await call('POST', `/cards/${issueId}/ils-done?printer=cards-1`);
    expect(done).toMatchObject({ status: 200, json: { issueId, device: 'cards-1' } });
    expect(done.json.ilsDoneAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('asks the printer that made the card when no printer is named: a card of a printer without a pad is not encoded on another’s', async () => {
    const second = await call('POST', '/cards', { printer: 'cards-2', patron: '21000002' });
    expect(second.json).toMatchObject({ result: 'issued', device: 'cards-2' });
    const { issueId } = second.json;
    const encoded = await call('POST', `/cards/${issueId}/rfid`);
    expect(encoded).toMatchObject({
      status: 409,
      json: { code: 'rfid_not_configured', detail: 'card printer "cards-2" has no RFID pad configured' },
    });
    expect(await recordOf('cards-2', issueId)).toMatchObject({ rfidUid: null });
    const givenUp = await call('POST', `/cards/${issueId}/chip-given-up`);
    expect(givenUp).toMatchObject({ status: 200, json: { issueId, device: 'cards-2' } });
  });

  it('says so when the printer named is not a card printer or not there', async () => {
    const first = await call('POST', '/cards', { printer: 'cards-1', patron: '21000003' });
    const notThere = await call('POST', `/cards/${first.json.issueId}/ils-done?printer=cards-9`);
    expect(notThere).toMatchObject({ status: 404, json: { code: 'device_not_found' } });
    const notAPrinter = await call('POST', `/cards/${first.json.issueId}/ils-done?printer=pad-1`);
    expect(notAPrinter).toMatchObject({ status: 409, json: { code: 'not_a_card_printer' } });
    expect(await recordOf('cards-1', first.json.issueId)).toMatchObject({ ilsDoneAt: null });
  });
});
