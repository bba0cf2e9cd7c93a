import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { padSessionDesk } from '../helpers/pad-session-desk.js';
import { until } from '../helpers/until.js';

/**
 * Tags whose item id no library system can be sent — a `|` (SIP2's field separator) or a control
 * character in it — laid on the pad of a checkout session at the simulated desk (the sample
 * library's ILS over SIP2, the FEIG pad simulator over TCP, real ISO 28560-3 tags).
 */
const { call, pad, placeTag: placeItem, openCheckout } = padSessionDesk();

const placeTag = (item: string): string => placeItem(item);

describe('a tag whose item id cannot be sent to the library system', () => {
  it('is listed as a tag to take to staff, not an item to try again and again', async () => {
    const opened = await openCheckout('21000009', '9999');
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    const piped = placeTag('3100|AA21000001');
    const tabbed = placeTag('3100\t0005');
    placeTag('31000005');
    const session = await until(async () => {
      const got = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
      return got.items.some((item) => item.state === 'checked_out') && got.unreadableTags.length === 2
        ? got
        : undefined;
    }, 10_000);
    // Dune is lent; neither odd tag went to the library system, nor is it an item of the session.
    expect(session.items.map((item) => [item.item, item.state])).toEqual([['31000005', 'checked_out']]);
    expect(session.unreadableTags).toEqual(
      expect.arrayContaining([
        { uid: piped, reason: 'rfid_item_id_not_sendable' },
        { uid: tabbed, reason: 'rfid_item_id_not_sendable' },
      ]),
    );
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.data.loans.map((loan: { barcode: string }) => loan.barcode)).toEqual([
      '31000005',
    ]);
    for (const tag of pad().tags()) pad().remove(String(tag.uid));
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  }, 30_000);
});
