import { describe, expect, it } from 'vitest';
import { cardDeskBehindProxyForTests, cutAtEvolisEject } from '../helpers/card-desk-behind-proxy.js';
import { waitForDevice } from '../helpers/desk.js';

/**
 * An Evolis answers each command, the eject (`Se`) too; a link cut after the eject went out leaves
 * Carrel without its answer while the printer may have ejected the card. Here the desk's TCP link to
 * the simulated Evolis goes through a proxy cut as the eject reaches the printer (after it ejected the
 * card, or before — the command lost on the cable). Its card counter (`Rco;c`), read once the link is
 * back, tells which: a card made is issued, never failed with "print again" (a second working card).
 */
const { desk, call } = cardDeskBehindProxyForTests({ make: 'evolis', printTimeoutMs: 5000 });
const sim = () => desk().sim();
const model = () => desk().evolis();
const printed = () =>
  sim()
    .cards()
    .filter((c) => c.outcome === 'printed').length;

/** Cuts the link as the next eject reaches the printer (cutAtEvolisEject). */
const cutAtEject = (ejected: boolean) => cutAtEvolisEject(model(), desk().proxy, ejected);

describe('an Evolis whose link is lost as the card is ejected', () => {
  it('records the card ejected while the link went down as issued, and makes no second card', async () => {
    const before = printed();
    const cut = cutAtEject(true);
    const answer = call('POST', '/cards', { patron: '21000001', number: 'patron' });
    // Down for 1.5 s from the cut (a reconnect tried meanwhile waits), whenever the eject comes.
    await cut;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    desk().proxy.resume();
    const issued = await answer;
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({
      result: 'issued',
      fault: null,
      cardNumber: '21000001',
      magstripe: 'verified',
    });
    await waitForDevice(desk().api, 'cards-1', 'online', 10_000);
    expect(printed()).toBe(before + 1);
  }, 30_000);

  it('records a card the eject never reached as link_lost, the card in the reject box: printing again is safe', async () => {
    const before = printed();
    const rejectedBefore = sim().cards().length - before;
    const cut = cutAtEject(false);
    const answer = call('POST', '/cards', { patron: '21000002', number: 'patron' });
    // Down for 1.5 s from the cut (a reconnect tried meanwhile waits), whenever the eject comes.
    await cut;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    desk().proxy.resume();
    const failed = await answer;
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'link_lost' });
    expect(printed()).toBe(before);
    expect(sim().cards().length - printed()).toBe(rejectedBefore + 1);
    expect(model().cardInPrinter).toBe(false);
    const again = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    expect(again.json).toMatchObject({ result: 'issued' });
    expect(printed()).toBe(before + 1);
  }, 30_000);

  it('says the outcome is unknown, not "print again", when the link stays down', async () => {
    const before = printed();
    void cutAtEject(true);
    const unknown = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(unknown.json).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
    desk().proxy.resume();
    await waitForDevice(desk().api, 'cards-1', 'online', 15_000);
    expect(printed()).toBe(before + 1);
    // Printing the patron's card again is refused until staff say it is not in the hopper.
    const again = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'card_outcome_unknown' });
    expect(printed()).toBe(before + 1);
  }, 30_000);
});
