import { describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { decodePng } from '../../src/core/png.js';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';

/**
 * The preview of a card with a new number, on the simulated desk (its ILS, its Evolis printer over
 * TCP): it shows the number the card will be printed with — the range's next free one — and says
 * that number in a header, since a preview reserves nothing; the card printed is the preview.
 */
describe('the preview of a card with a new number', () => {
  const { desk, api } = cardPrinterDesk();
  const sim = () => desk().desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

  async function preview() {
    const response = await fetch(`${api()}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000002', number: 'allocate' }),
    });
    expect(response.status).toBe(200);
    return {
      number: response.headers.get('next-card-number'),
      png: decodePng(new Uint8Array(await response.arrayBuffer())),
    };
  }

  async function issue(): Promise<{ result: string; cardNumber: string }> {
    const response = await fetch(`${api()}/api/v1/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000002', number: 'allocate' }),
    });
    return (await response.json()) as { result: string; cardNumber: string };
  }

  it('shows the number the card will be printed with, not the range’s first, and reserves nothing', async () => {
    const first = await issue();
    expect(first).toMatchObject({ result: 'issued', cardNumber: '21234000000018' });
    const shown = await preview();
    expect(shown.number).toMatch(/^21234\d{9}$/);
    expect(shown.number).not.toBe(first.cardNumber);
    // Previewed again: the same number, none used up by the preview.
    expect((await preview()).number).toBe(shown.number);
    const second = await issue();
    expect(second).toMatchObject({ result: 'issued', cardNumber: shown.number });
    const printed = decodePng(sim().cardPng(sim().cards().at(-1)!.number, 'front')!);
    expect(Buffer.from(printed.rgba).equals(Buffer.from(shown.png.rgba))).toBe(true);
    expect((await preview()).number).not.toBe(shown.number);
  });

  it('says no new number for a card printed with the patron’s barcode', async () => {
    const response = await fetch(`${api()}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000002', number: 'patron' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('next-card-number')).toBeNull();
  });
});
