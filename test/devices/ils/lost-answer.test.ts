/**
 * A checkout or checkin whose answer was lost is not blindly sent again: the
 * item is looked up (17) first. The scripted ILS swallows the first answer,
 * having acted or not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { ScriptedLibrary } from './circulation-script.js';
import { clientFor } from './helpers.js';
import { ScriptedServer } from './scripted-server.js';

const TIMEOUT = 5000;
let server: ScriptedServer;
let client: IlsClient;
let library: ScriptedLibrary;
let clock: ManualClock;

async function start(): Promise<void> {
  library = new ScriptedLibrary();
  clock = new ManualClock();
  server = await ScriptedServer.start(library.script);
  client = clientFor(server.port, { requestTimeoutMs: TIMEOUT }, { clock });
  await client.connect();
}

/** Lets the request reach the server, then lets its timeout pass. */
async function loseAnswerTo(type: 'checkout' | 'checkin'): Promise<void> {
  await server.waitFor((r) => r.message.type === type);
  await clock.advance(TIMEOUT);
}

afterEach(async () => {
  await client?.disconnect();
  await server?.close();
});

describe('checkout with a lost answer', () => {
  it('reports success-as-found when the ILS did check the item out to the patron', async () => {
    await start();
    library.swallow.set('checkout', 1);
    const checkout = client.checkout('P1', 'I1', { pin: '1234' });
    await loseAnswerTo('checkout');
    const answer = await checkout;
    expect(answer).toMatchObject({
      verifiedAfterLostAnswer: true,
      resentAfterLostAnswer: false,
      message: {
        type: 'checkoutResponse',
        ok: true,
        patronIdentifier: 'P1',
        itemIdentifier: 'I1',
        dueDate: '20260201    235900',
      },
    });
    expect(answer.verification?.itemInformation.message.circulationStatus.name).toBe('charged');
    expect(answer.verification?.patronInformation?.message.chargedItems).toEqual(['I1 Dune']);
    expect(server.requests('checkout')).toHaveLength(1);
    expect(server.requests('patronInformation')[0]).toMatchObject({
      summary: 'chargedItems',
      patronPassword: '1234',
    });
  });

  it('sends the checkout once more when the ILS had not done it', async () => {
    await start();
    library.ignore.set('checkout', 1);
    const checkout = client.checkout('P1', 'I1');
    await loseAnswerTo('checkout');
    const answer = await checkout;
    expect(answer).toMatchObject({
      verifiedAfterLostAnswer: false,
      resentAfterLostAnswer: true,
      message: { ok: true, itemIdentifier: 'I1' },
    });
    expect(server.requests('checkout')).toHaveLength(2);
    expect(server.requests('itemInformation')).toHaveLength(1);
  });

  it('does not take an item charged to someone else as found', async () => {
    await start();
    library.loans.set('I1', 'P2');
    library.ignore.set('checkout', 1);
    const checkout = client.checkout('P1', 'I1');
    await loseAnswerTo('checkout');
    const answer = await checkout;
    expect(answer).toMatchObject({
      verifiedAfterLostAnswer: false,
      resentAfterLostAnswer: true,
      message: { ok: false },
    });
    expect(server.requests('checkout')).toHaveLength(2);
  });

  it('fails with the lost answer when it is lost again', async () => {
    await start();
    library.ignore.set('checkout', 2);
    const checkout = client.checkout('P1', 'I1').catch((error: unknown) => error);
    await loseAnswerTo('checkout');
    await server.waitFor(() => server.requests('checkout').length === 2);
    await clock.advance(TIMEOUT);
    expect(await checkout).toMatchObject({ code: 'ils_timeout', answerLost: true });
    expect(server.requests('checkout')).toHaveLength(2);
  });
});

describe('checkin with a lost answer', () => {
  it('reports success-as-found when the connection dropped after the ILS checked the item in', async () => {
    await start();
    library.loans.set('I1', 'P1');
    library.dropInstead.set('checkin', 1);
    const answer = await client.checkin('I1');
    expect(answer).toMatchObject({
      verifiedAfterLostAnswer: true,
      message: { type: 'checkinResponse', ok: true, itemIdentifier: 'I1', permanentLocation: 'MAIN' },
    });
    expect(server.requests('checkin')).toHaveLength(1);
  });

  it('sends the checkin once more when the item is still charged', async () => {
    await start();
    library.loans.set('I1', 'P1');
    library.ignore.set('checkin', 1);
    const checkin = client.checkin('I1');
    await loseAnswerTo('checkin');
    const answer = await checkin;
    expect(answer).toMatchObject({
      verifiedAfterLostAnswer: false,
      resentAfterLostAnswer: true,
      message: { ok: true },
    });
    expect(server.requests('checkin')).toHaveLength(2);
    expect(library.loans.has('I1')).toBe(false);
  });
});
