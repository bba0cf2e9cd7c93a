import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { type SimulatedDeskProcess, startSimulatedDesk } from '../helpers/carrel-cli.js';
import { waitForDevice } from '../helpers/desk.js';

/**
 * A library trying Carrel's demo issues a library card with a chip: `npm start` with no
 * configuration (the built CLI on free ports and a fresh state folder), a card issued through the
 * API and its chip encoded, first thing, and the next card after it. Then what a real desk meets when its encoding pad holds
 * something else than the new card — books, another patron's card: a refusal that says what to take
 * off the pad, and nothing on the pad written over.
 */
describe('issuing a library card with a chip at the simulated desk', () => {
  let desk: SimulatedDeskProcess | undefined;
  let api: string;
  let cardPadSim: string;

  /** The desk's API, or a simulator's control API given whole. */
  const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    callApi(url.startsWith('http') ? '' : `${api}/api/v1`, method, url, body);

  /** The tags the desk reads on a pad, once it has read `count` of them. */
  async function tagsOn(pad: string, count: number) {
    await expect
      .poll(async () => (await call('GET', `/rfid/${pad}/tags`)).json.tags?.length, { timeout: 10_000 })
      .toBe(count);
    return (await call('GET', `/rfid/${pad}/tags`)).json.tags as Array<{
      uid: string;
      afi: number | null;
      secured: boolean | null;
      item: { primaryItemId: string; typeOfUsage?: string } | null;
    }>;
  }

  beforeAll(async () => {
    desk = await startSimulatedDesk('carrel-card-chip-');
    api = desk.api;
    const banner = desk.banner;
    const simulatorUrl = (id: string) =>
      new RegExp(`simulator\\s+${id} \\(rfid-pad\\): (http://\\S+)`).exec(banner)?.[1];
    cardPadSim = simulatorUrl('card-pad-sim') ?? '';
    await waitForDevice(api, 'ils', 'online', 15_000);
    await waitForDevice(api, 'cards-1', 'online', 15_000);
  }, 60_000);

  afterAll(async () => {
    await desk?.stop();
  });

  it('prints two cards in a row and encodes each chip at once, as they come out of the printer', async () => {
    const books = await tagsOn('pad-1', 2);
    let before: string | undefined;
    for (const patron of ['21000001', '21000003']) {
      // What the library trying the demo does: print a card, encode it, print the next.
      const issued = await call('POST', '/cards', { patron });
      expect(issued).toMatchObject({ status: 200, json: { result: 'issued', cardNumber: patron } });
      // Staff take the new card from the printer to the pad: the desk reads it there alone.
      await expect
        .poll(
          async () =>
            (await call('GET', '/rfid/card-pad/tags')).json.tags?.map(
              (t: { uid: string }) => t.uid !== before,
            ),
          {
            timeout: 10_000,
          },
        )
        .toEqual([true]);
      const [blank] = await tagsOn('card-pad', 1);
      // A new card's chip as it comes from the card maker: no data, no library security (AFI 0x00).
      expect(blank).toMatchObject({ afi: 0, secured: false });
      const encoded = await call('POST', `/cards/${issued.json.issueId}/rfid`);
      expect(encoded.json.detail).toBeUndefined();
      expect(encoded.status).toBe(200);
      expect(encoded.json.rfidUid).toMatch(/^[0-9A-F]{16}$/);
      const [card] = await tagsOn('card-pad', 1);
      // A patron card: read back as this card, and never a secured item, which the gates alarm on.
      expect(card).toMatchObject({
        uid: encoded.json.rfidUid,
        secured: false,
        item: { primaryItemId: patron, typeOfUsage: 'patron-card' },
      });
      expect(card!.afi).not.toBe(0x07);
      before = card!.uid;
    }
    const printer = (await call('GET', '/devices')).json.devices.find(
      (d: { device: string }) => d.device === 'cards-1',
    );
    expect(printer.status).toBe('online');
    expect(await tagsOn('pad-1', 2)).toEqual(books);
  });

  it('refuses, saying what to take off, when the encoding pad holds library items, and writes over none', async () => {
    expect(cardPadSim).toMatch(/^http/);
    // Staff at a real desk: the encoded card taken away, two books put down where the next card comes.
    for (const tag of await tagsOn('card-pad', 1))
      expect((await fetch(`${cardPadSim}/api/tags/${tag.uid}`, { method: 'DELETE' })).status).toBe(200);
    await tagsOn('card-pad', 0);
    for (const body of [{ item: { id: '31000026' } }, { item: { id: '31000030' } }])
      expect((await call('POST', `${cardPadSim}/api/tags`, body)).status).toBe(201);
    await tagsOn('card-pad', 2);
    const issued = await call('POST', '/cards', { patron: '21000002' });
    expect(issued.json.result).toBe('issued');
    // The new card beside the books.
    await tagsOn('card-pad', 3);
    const crowded = await call('POST', `/cards/${issued.json.issueId}/rfid`);
    expect(crowded).toMatchObject({ status: 409, json: { code: 'rfid_card_not_alone' } });
    expect(crowded.json.detail).toMatch(/take the other items off the pad/);

    // The blank card taken off by mistake, one book left alone on the pad: its tag is not the card's.
    const lying = await tagsOn('card-pad', 3);
    for (const tag of lying.filter((t) => t.item?.primaryItemId !== '31000030'))
      await fetch(`${cardPadSim}/api/tags/${tag.uid}`, { method: 'DELETE' });
    const [book] = await tagsOn('card-pad', 1);
    expect(book!.item).toMatchObject({ primaryItemId: '31000030', typeOfUsage: 'circulating' });
    const refused = await call('POST', `/cards/${issued.json.issueId}/rfid`);
    expect(refused).toMatchObject({ status: 409, json: { code: 'rfid_not_a_card' } });
    expect(refused.json.detail).toMatch(
      /library item \(31000030\).*nothing was written.*take the item off the pad/,
    );
    expect((await tagsOn('card-pad', 1))[0]!.item).toMatchObject({
      primaryItemId: '31000030',
      typeOfUsage: 'circulating',
    });
    const record = (await call('GET', '/cards?limit=1')).json.issues[0];
    expect(record).toMatchObject({ issueId: issued.json.issueId, rfidUid: null });
  });

  it("refuses to write over another patron's card left on the pad", async () => {
    for (const tag of await tagsOn('card-pad', 1))
      await fetch(`${cardPadSim}/api/tags/${tag.uid}`, { method: 'DELETE' });
    await tagsOn('card-pad', 0);
    // The first patron's card, encoded in the first test, put back on the pad.
    const first = (await call('GET', '/cards?limit=5')).json.issues.find(
      (i: { cardNumber: string }) => i.cardNumber === '21000001',
    );
    await fetch(`${cardPadSim}/api/tags/${first.rfidUid}/move`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onPad: true }),
    });
    const [card] = await tagsOn('card-pad', 1);
    expect(card!.item).toMatchObject({ primaryItemId: '21000001', typeOfUsage: 'patron-card' });
    const second = (await call('GET', '/cards?limit=1')).json.issues[0];
    const refused = await call('POST', `/cards/${second.issueId}/rfid`);
    expect(refused).toMatchObject({ status: 409, json: { code: 'rfid_not_a_card' } });
    expect(refused.json.detail).toMatch(/already holds another library card/);
    expect(refused.json.detail).not.toMatch(/21000001/);
    expect((await tagsOn('card-pad', 1))[0]!.item).toMatchObject({ primaryItemId: '21000001' });
    // Encoding the first card again (it was laid there for that) is no refusal.
    expect((await call('POST', `/cards/${first.issueId}/rfid`)).status).toBe(200);
  });
});
