/**
 * The simulator's answers to a renewal (29 → 30) over real TCP, as a self-check reads them: a
 * refusal names the loan it is about (AJ, a required field of the 30), whoever was refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { AnySip2MessageInput } from '../../../src/protocols/sip2/index.js';
import { sampleFixtureInput } from './sample.js';
import { Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);

let simulator: IlsSimulator | undefined;
let client: Sip2TestClient | undefined;

afterEach(async () => {
  client?.close();
  await simulator?.close();
  client = undefined;
  simulator = undefined;
});

const renew = (patron: string, pin: string, item: string): AnySip2MessageInput => ({
  type: 'renew',
  thirdPartyAllowed: false,
  noBlock: false,
  transactionDate: new Date(START),
  institutionId: 'RIVERSIDE',
  patronIdentifier: patron,
  patronPassword: pin,
  itemIdentifier: item,
});

describe('a refused renewal (30)', () => {
  it("names the loan's title whether the loan or the patron was refused, and none for an item the library does not know", async () => {
    simulator = await startIlsSimulator({ fixture: sampleFixtureInput(), clock: new ManualClock(START) });
    client = await Sip2TestClient.connect(simulator.port, { timeZone: 'Europe/Stockholm' });
    await client.login('kiosk1', 'kiosk1pw');
    simulator.state.item('31000002')!.loan!.renewals = 2;
    const cases: Array<[AnySip2MessageInput, string, string]> = [
      [renew('21000001', '1234', '31000002'), 'Les Misérables', 'Renewal limit reached'],
      [renew('21000001', '0000', '31000002'), 'Les Misérables', 'Invalid PIN'],
      [renew('29999999', '1234', '31000001'), 'Pippi Långstrump', 'Unknown patron'],
      [renew('21000001', '1234', '39999999'), '', 'Unknown item'],
    ];
    for (const [request, title, words] of cases) {
      const answer = await client.request(request, 'renewResponse');
      expect(answer, words).toMatchObject({ ok: false, titleIdentifier: title, screenMessage: [words] });
    }
  });
});
