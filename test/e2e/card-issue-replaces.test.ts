import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A card issued as replacing another (lost, damaged) over the API, on the default desk: the
 * simulated ILS's patrons, the simulated Evolis printer over TCP. The card replaced must be one
 * this desk issued to the same patron and not replaced yet — else the ILS step would tell staff to
 * block another patron's card, or a card already blocked. A refusal prints nothing, records
 * nothing and uses no card number, and its words name neither patron nor card.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'cards-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const sim = () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

/** The desk's card issues, newest first. */
async function issues(): Promise<Array<{ issueId: string; cardNumber: string; replacedBy: string | null }>> {
  return (await call('GET', '/cards?limit=50')).json.issues;
}

/** Asks for a replacement that must be refused: nothing printed, recorded or allocated. */
async function refused(patron: string, replaces: string) {
  const cardsBefore = sim().cards().length;
  const issuesBefore = await issues();
  const answer = await call('POST', '/cards', { patron, number: 'allocate', replaces });
  expect(sim().cards()).toHaveLength(cardsBefore);
  expect(await issues()).toEqual(issuesBefore);
  // The words name neither patron nor card (a card number may be a patron's barcode).
  expect(JSON.stringify(answer.json)).not.toMatch(/2100000\d|21234\d{9}/);
  return answer;
}

describe('a card issued as replacing another', () => {
  let cardOfA: string;

  it('refuses to record a card as replacing another patron’s card', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.json.result).toBe('issued');
    cardOfA = issued.json.cardNumber;

    const answer = await refused('21000002', cardOfA);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ code: 'replaced_card_other_patron' });
    expect(answer.json.detail).toMatch(/another patron/);
    const record = (await issues()).find((issue) => issue.issueId === issued.json.issueId);
    expect(record?.replacedBy).toBeNull();
  });

  it('refuses a card this desk never issued, and one whose issue failed', async () => {
    const unknown = await refused('21000001', '29999999999');
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ code: 'replaced_card_not_found' });

    sim().model.feeder = 0;
    const failed = await call('POST', '/cards', { patron: '21000002', number: 'allocate' });
    sim().model.feeder = 50;
    expect(failed.json.result).toBe('failed');
    await waitForDevice(api, 'cards-1', 'online', 5000);
    const neverMade = await refused('21000002', failed.json.cardNumber);
    expect(neverMade.status).toBe(422);
    expect(neverMade.json).toMatchObject({ code: 'replaced_card_not_found' });
  });

  it('replaces the patron’s own card once; asked to again, points to the card that replaced it', async () => {
    const replacement = await call('POST', '/cards', {
      patron: '21000001',
      number: 'allocate',
      replaces: cardOfA,
    });
    expect(replacement.json).toMatchObject({ result: 'issued', replaces: cardOfA });
    // No number was used up by the refusals: the replacement has the next one after the failed card.
    const numbers = (await issues()).map((issue) => issue.cardNumber);
    expect(numbers.slice(0, 3)).toEqual([replacement.json.cardNumber, numbers[1], cardOfA]);
    expect(Number(replacement.json.cardNumber.slice(5, -1))).toBe(Number(cardOfA.slice(5, -1)) + 2);

    const twice = await refused('21000001', cardOfA);
    expect(twice.status).toBe(409);
    expect(twice.json).toMatchObject({ code: 'replaced_card_already_replaced' });
    expect(twice.json.detail).toMatch(/already replaced/);

    // The card that replaced it may itself be replaced (lost again).
    const again = await call('POST', '/cards', {
      patron: '21000001',
      number: 'allocate',
      replaces: replacement.json.cardNumber,
    });
    expect(again.json).toMatchObject({ result: 'issued', replaces: replacement.json.cardNumber });
    const records = await issues();
    expect(records.find((issue) => issue.cardNumber === cardOfA)?.replacedBy).toBe(
      replacement.json.cardNumber,
    );
    expect(records.find((issue) => issue.cardNumber === replacement.json.cardNumber)?.replacedBy).toBe(
      again.json.cardNumber,
    );
  });
});
