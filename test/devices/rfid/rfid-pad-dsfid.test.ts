/**
 * A tag programmed with an ISO 28560 data model carries that model's data-storage format identifier
 * (DSFID: 0x06 for ISO 28560-2, 0x3E for ISO 28560-3), as the standard expects: a reader elsewhere
 * (another library's, a sorter's) tells the data model by it. A FEIG reader writes it (ISO 15693
 * Write DSFID) and reads it back; the 3M 810's command set has no such command: the data is
 * programmed all the same, and the DSFID left as it was. The pad simulator over TCP.
 */
import { describe, expect, it } from 'vitest';
import {
  DSFID_ISO28560_2,
  DSFID_ISO28560_3,
  encodeIso28560Part3,
} from '../../../src/protocols/rfid/index.js';
import { cleanedAfterEach, padOn, simulatorOn } from './pad-over-tcp.js';

const cleanups = cleanedAfterEach();
const TAG = 'E004010000000001';
const ITEM = encodeIso28560Part3({ primaryItemId: '39000000077', ownerLibrary: 'DK718500' });

async function padWithTag(protocol: 'feig' | '3m', dsfid: number) {
  const sim = await simulatorOn(0, [], cleanups, protocol);
  const tag = sim.place({ uid: TAG, preset: 'blank', dsfid });
  const { pad, recorder } = await padOn(sim.tcpPort!, cleanups, {}, { protocol });
  await recorder.waitFor('tag_arrived', (data) => data.uid === TAG);
  return { tag, pad };
}

describe('a tag programmed on a FEIG pad', () => {
  it('gets the data model’s DSFID, read back into the tag view, in place of the one it had', async () => {
    const { tag, pad } = await padWithTag('feig', DSFID_ISO28560_2);
    const programmed = await pad.program(TAG, ITEM, { dsfid: DSFID_ISO28560_3 });
    expect(tag.dsfid).toBe(0x3e);
    expect(programmed).toMatchObject({
      dsfid: 0x3e,
      item: { format: '28560-3', primaryItemId: '39000000077' },
    });
    expect(pad.tags().find((t) => t.uid === TAG)).toMatchObject({ dsfid: 0x3e });
  });
});

describe('a tag programmed on a 3M pad', () => {
  it('is programmed, its DSFID left as it was: the reader cannot write one', async () => {
    const { tag, pad } = await padWithTag('3m', 0);
    const programmed = await pad.program(TAG, ITEM, { dsfid: DSFID_ISO28560_3 });
    expect(programmed.item).toMatchObject({ primaryItemId: '39000000077' });
    expect(tag.dsfid).toBe(0);
  });
});
