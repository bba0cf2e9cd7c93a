import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { padSessionDesk } from '../helpers/pad-session-desk.js';
import { until } from '../helpers/until.js';

/**
 * Another library's book laid on a self-check pad among the library's own (the simulated desk: the
 * sample library's ILS over SIP2, the FEIG pad simulator over TCP, ISO 28560-3 tags naming their
 * owner library). Its barcode is one the sample library also uses: sent to the library system, it
 * would lend (or return) the sample library's own copy, which is on the shelf, and clear the
 * security of a book that is not the library's to lend.
 */
const { call, pad, placeTag: placeItem, openCheckout } = padSessionDesk();

/** A secured ISO 28560-3 item tag of `owner` (an ISIL). */
const placeTag = (item: string, owner: string): string => placeItem(item, { owner });

async function loanedTo(item: string): Promise<unknown> {
  const got = await call('GET', `/api/v1/items/${item}`);
  return got.body.item?.circulationStatus ?? got.body.circulationStatus;
}

describe("another library's tag on a self-check pad", () => {
  it('is neither lent nor secured differently, and the session says whose it is', async () => {
    const statusBefore = await loanedTo('31000006');
    const opened = await openCheckout('21000009', '9999');
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    // A Danish library's book whose barcode is the sample library's Beloved, and Dune, the library's own.
    const danish = placeTag('31000006', 'DK-718500');
    placeTag('31000005', 'SE-RPL');
    const session = await until(async () => {
      const got = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
      const settled = got.items.every((item) => item.state !== 'pending' && item.state !== 'on_pad');
      return settled && got.items.some((item) => item.item === '31000005') && got.unreadableTags.length > 0
        ? got
        : undefined;
    }, 10_000).catch(async () => (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView);
    expect(session.items.map((item) => [item.item, item.state])).toEqual([['31000005', 'checked_out']]);
    expect(session.unreadableTags).toEqual([
      { uid: danish, reason: 'rfid_other_library', ownerLibrary: 'DK-718500' },
    ]);
    // The library's own Beloved stays where it was; the Danish book keeps its security.
    expect(await loanedTo('31000006')).toEqual(statusBefore);
    const tags = (await call('GET', '/api/v1/rfid/pad-1/tags')).body.tags as Array<{
      uid: string;
      afi: number;
    }>;
    expect(tags.find((tag) => tag.uid === danish)?.afi).toBe(0x07);
    await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'none' });
    for (const tag of pad().tags()) pad().remove(String(tag.uid));
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  }, 30_000);

  it('a damaged tag with no DSFID is an unreadable tag, never a made-up item or owner', async () => {
    // The pad read empty first: the tags the last test took off are no longer seen on it.
    await until(async () => {
      const tags = (await call('GET', '/api/v1/rfid/pad-1/tags')).body.tags as unknown[];
      return tags.length === 0 || undefined;
    }, 10_000);
    const opened = await openCheckout('21000009', '9999');
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    // Two of the library's tags whose data model no DSFID names, garbled (see decode-tag.test.ts):
    // an ISO 28560-3 tag with a byte of its barcode torn, which ISO 28560-2 reads as item "1" of an
    // owner "F@XC@LAPFX…", and an ISO 28560-2 tag with a length bit flipped, read as item
    // 73920120306784141696 of SE-RPL; then Dune, the library's own, intact.
    const damaged = (memoryHex: string) => String(pad().place({ memoryHex, dsfid: 0, afi: 0x07 }).uid);
    const tornPart3 = damaged('1101013319303030303036000000000000000000fafc534552504c0000000000000000');
    const flippedPart2 = damaged('11090401d905c600020180830204994128330000');
    placeTag('31000005', 'SE-RPL');
    const session = await until(async () => {
      const got = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
      const settled = got.items.every((item) => item.state !== 'pending' && item.state !== 'on_pad');
      return settled && got.items.some((item) => item.item === '31000005') && got.unreadableTags.length >= 2
        ? got
        : undefined;
    }, 10_000).catch(async () => (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView);
    // Nothing but Dune reaches the library system; the two go to the desk, as tags no one can read.
    expect(session.items.map((item) => [item.item, item.state])).toEqual([['31000005', 'checked_out']]);
    expect([...session.unreadableTags].sort((a, b) => a.uid.localeCompare(b.uid))).toEqual(
      [
        { uid: tornPart3, reason: 'rfid_unknown_format' },
        { uid: flippedPart2, reason: 'rfid_unknown_format' },
      ].sort((a, b) => a.uid.localeCompare(b.uid)),
    );
    await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'none' });
    for (const tag of pad().tags()) pad().remove(String(tag.uid));
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  }, 30_000);
});
