import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { padSessionDesk } from '../helpers/pad-session-desk.js';
import { until } from '../helpers/until.js';

/**
 * An ISO 28560-3 tag whose data was damaged — one digit of its barcode changed, so its CRC no longer
 * matches — laid on a self-check pad at the simulated desk (the sample library's ILS over SIP2, the
 * FEIG pad simulator over TCP, the tag's DSFID 0x3E saying ISO 28560-3). The barcode it now reads
 * is another item of the library's: lent, the patron would walk out with Middlemarch unsecured and
 * Dune on her account.
 */
const { call, pad, openCheckout } = padSessionDesk();

describe('a self-check pad with a tag whose ISO 28560-3 data is damaged', () => {
  it('lends nothing for it, leaves its security on, and lists it as a tag to take to staff', async () => {
    const opened = await openCheckout('21000009', '9999');
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    const memory = Buffer.from(
      encodeIso28560Part3({ primaryItemId: '31000004', typeOfUsage: 'circulating', ownerLibrary: 'SE-RPL' }),
    );
    memory[10] = 0x35; // Middlemarch's last digit 4 reads 5 (Dune); the CRC is Middlemarch's
    const damaged = pad().place({ memoryHex: memory.toString('hex'), dsfid: 0x3e, afi: 0x07 }).uid;
    // A whole tag beside it shows when the pad has read both.
    pad().place({ item: { id: '31000006' } });
    const session = await until(async () => {
      const got = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
      const done = got.items.some((item) => item.item === '31000006' && item.state === 'checked_out');
      return done && got.unreadableTags.length > 0 ? got : undefined;
    }, 10_000).catch(async () => (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView);
    expect(session.items.map((item) => [item.item, item.state])).toEqual([['31000006', 'checked_out']]);
    expect(session.unreadableTags).toEqual([{ uid: damaged, reason: 'rfid_crc_invalid' }]);
    // Staff see what the tag holds: ISO 28560-3, its CRC not matching; its security is as it was.
    const tags = (await call('GET', '/api/v1/rfid/pad-1/tags')).body.tags as Array<{
      uid: string;
      afi: number;
      item: { format: string; crc: string; primaryItemId: string } | null;
    }>;
    const tag = tags.find((t) => t.uid === damaged);
    expect(tag?.item).toMatchObject({ format: '28560-3', crc: 'invalid', primaryItemId: '31000005' });
    expect(tag?.afi).toBe(0x07);
    await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'none' });
  }, 30_000);
});
