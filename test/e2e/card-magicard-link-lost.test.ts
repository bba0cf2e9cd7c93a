import { describe, expect, it } from 'vitest';
import { cardDeskBehindProxyForTests } from '../helpers/card-desk-behind-proxy.js';
import { waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A Magicard answers nothing about a job: whether a card came out is told by its card counter (TCQ).
 * Here the desk's TCP link to the simulated Magicard (the real spool job and REQ,STA queries) goes
 * through a proxy that is cut once the job has reached the printer. A printer that made the card
 * meanwhile has issued it: recorded so, never as a failure inviting a second card for the patron.
 */
const { desk, call } = cardDeskBehindProxyForTests({ make: 'magicard', printTimeoutMs: 6000 });
const sim = () => desk().sim();
const model = () => desk().magicard();

/** Starts an issue with the feeder empty (the job waits in the printer) and cuts the link once it is there. */
async function issueAndCut(patron: string) {
  // The link the last test cut is back before this one starts.
  await waitForDevice(desk().api, 'cards-1', 'online', 15_000);
  model().feeder = 0;
  const answer = call('POST', '/cards', { patron, number: 'patron' });
  const early = answer.then((a) => JSON.stringify(a.json));
  let said: string | undefined;
  void early.then((text) => {
    said = text;
  });
  await until(
    () => {
      if (said !== undefined) throw new Error(`answered before the job reached the printer: ${said}`);
      return model().held.length > 0 ? true : undefined;
    },
    10_000,
    'the job never reached the printer',
    10,
  );
  desk().proxy.stall();
  desk().proxy.cut();
  return { answer };
}

describe('a Magicard whose link is lost after the job reached it', () => {
  it('records the card printed while the link was down as issued, and offers no second card', async () => {
    const before = sim().cards().length;
    const { answer } = await issueAndCut('21000001');
    // The printer carries on: cards in its feeder, it prints the job it holds.
    model().feeder = 50;
    model().run();
    expect(sim().cards().length).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    desk().proxy.resume();
    const issued = await answer;
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({
      result: 'issued',
      fault: null,
      cardNumber: '21000001',
      magstripe: 'written',
    });
    const listed = await call('GET', '/cards?limit=1');
    expect(listed.json.issues[0]).toMatchObject({ issueId: issued.json.issueId, result: 'issued' });
    await waitForDevice(desk().api, 'cards-1', 'online', 10_000);
    expect(sim().cards().length).toBe(before + 1);
  }, 30_000);

  it('records a job the printer still held as not printed (dropped as the link came back): printing again is safe', async () => {
    const before = sim().cards().length;
    const { answer } = await issueAndCut('21000002');
    await new Promise((resolve) => setTimeout(resolve, 300));
    desk().proxy.resume();
    const failed = await answer;
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'link_lost' });
    await waitForDevice(desk().api, 'cards-1', 'online', 10_000);
    // Dropped by the printer: filled again, it makes no card nobody asked for.
    expect(model().held).toEqual([]);
    model().feeder = 50;
    model().run();
    expect(sim().cards().length).toBe(before);
  }, 30_000);

  it('says the outcome is unknown, not "print again", when the link stays down', async () => {
    const before = sim().cards().length;
    const { answer } = await issueAndCut('21000001');
    model().feeder = 50;
    model().run();
    const unknown = await answer;
    expect(unknown.json).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
    desk().proxy.resume();
    await waitForDevice(desk().api, 'cards-1', 'online', 15_000);
    expect(sim().cards().length).toBe(before + 1);
    // Printing the patron's card again is refused until staff say it is not in the hopper.
    const again = await call('POST', '/cards', { patron: '21000001', number: 'patron' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'card_outcome_unknown' });
    expect(again.json.detail).toMatch(/output hopper/);
    expect(sim().cards().length).toBe(before + 1);
    const confirmed = await call('POST', '/cards', {
      patron: '21000001',
      number: 'patron',
      confirmNotPrinted: true,
    });
    expect(confirmed.json).toMatchObject({ result: 'issued' });
    expect(sim().cards().length).toBe(before + 2);
    // Settled so: the next card for the patron needs no confirming.
    const next = await call('POST', '/cards', { patron: '21000001', number: 'patron' });
    expect(next.json).toMatchObject({ result: 'issued' });
  }, 30_000);
});
