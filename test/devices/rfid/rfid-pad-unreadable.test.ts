/**
 * A tag whose memory cannot be read (a cracked inlay, a failing chip: the pad simulator's
 * `unreadable` tag answers its inventory, its system information and the EAS Alarm, and every read
 * of its blocks with its own error, over FEIG on TCP) still told the pad its AFI, and where the
 * desk reads it its EAS bit, before its memory failed: the pad keeps what it read — its arrival and
 * its tags say why it has no item, and how it is secured — so whoever asks why a gate alarms on it
 * sees it.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/until.js';
import { cleanedAfterEach, itemMemory, padOn, simulatorOn } from './pad-over-tcp.js';

const A = 'E004010000000001';
const B = 'E004010000000002';
const SECURED_AFI = 0x07;
const UNSECURED_AFI = 0xc2;

const cleanups = cleanedAfterEach();

/** What the pad tells of a tag: its arrival, and its entry among the pad's tags. */
function shown(tag: Record<string, unknown> | undefined) {
  return (
    tag && {
      item: tag.item,
      afi: tag.afi ?? null,
      eas: tag.eas ?? null,
      secured: tag.secured ?? null,
      dsfid: tag.dsfid ?? null,
      readError: tag.readError,
    }
  );
}

describe('RfidPadDevice with a tag whose memory cannot be read', () => {
  it('keeps the AFI and EAS bit it read before the memory failed: the tag says why it has no item, and how it is secured', async () => {
    const sim = await simulatorOn(
      0,
      [
        {
          uid: A,
          memoryHex: itemMemory('3000701'),
          afi: UNSECURED_AFI,
          eas: true,
          dsfid: 0x3e,
          unreadable: true,
        },
        {
          uid: B,
          memoryHex: itemMemory('3000702'),
          afi: SECURED_AFI,
          eas: false,
          dsfid: 0x3e,
          unreadable: true,
        },
      ],
      cleanups,
    );
    const { pad, recorder } = await padOn(sim.tcpPort!, cleanups, { security: { method: 'afi+eas' } });
    const arrived = await recorder.waitFor('tag_arrived', () => true, 2);
    const byUid = (uid: string) => arrived.find((e) => e.data.uid === uid)?.data;

    // A gate checking EAS alarms on A, one checking the AFI on B: both are secured as the desk says.
    const a = {
      item: null,
      afi: UNSECURED_AFI,
      eas: true,
      secured: true,
      dsfid: 0x3e,
      readError: 'rfid_iso_error',
    };
    const b = {
      item: null,
      afi: SECURED_AFI,
      eas: false,
      secured: true,
      dsfid: 0x3e,
      readError: 'rfid_iso_error',
    };
    expect(shown(byUid(A))).toEqual(a);
    expect(shown(byUid(B))).toEqual(b);
    const tags = pad.tags();
    expect(shown(tags.find((tag) => tag.uid === A) as Record<string, unknown> | undefined)).toEqual(a);
    expect(shown(tags.find((tag) => tag.uid === B) as Record<string, unknown> | undefined)).toEqual(b);
  });

  it('back after a reader loss, one still unreadable but secured meanwhile is a changed tag; one as it was says nothing', async () => {
    const first = await simulatorOn(
      0,
      [
        { uid: A, memoryHex: itemMemory('3000801'), afi: UNSECURED_AFI, unreadable: true },
        { uid: B, memoryHex: itemMemory('3000802'), afi: UNSECURED_AFI, unreadable: true },
      ],
      cleanups,
    );
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds } = await padOn(port, cleanups);
    await recorder.waitFor('tag_arrived', () => true, 2);
    const before = recorder.events.length;

    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    // A secured at another station while the reader was away; B as it was.
    await simulatorOn(
      port,
      [
        { uid: A, memoryHex: itemMemory('3000801'), afi: SECURED_AFI, unreadable: true },
        { uid: B, memoryHex: itemMemory('3000802'), afi: UNSECURED_AFI, unreadable: true },
      ],
      cleanups,
    );
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(8);
    const after = recorder.events.slice(before).map((e) => [e.type, e.data.uid, e.data.afi ?? null]);
    expect(after).toEqual([
      ['tag_left', A, null],
      ['tag_arrived', A, SECURED_AFI],
    ]);
    expect(pad.tags().map((tag) => [tag.uid, tag.afi, tag.secured, tag.readError])).toEqual([
      [A, SECURED_AFI, true, 'rfid_iso_error'],
      [B, UNSECURED_AFI, false, 'rfid_iso_error'],
    ]);
  });
});
