/**
 * An RFID pad whose reader's replies come garbled on the line (a bad cable, a serial line picking up
 * noise): its health says so for IT — degraded, why in words and what to do, and the corrupt frames
 * counted — and it is online again, the reason gone, once replies come whole.
 * The pad simulator over TCP, its replies' CRC broken.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/until.js';
import { cleanedAfterEach, padOn, simulatorOn } from './pad-over-tcp.js';

const cleanups = cleanedAfterEach();

describe('an RFID pad whose replies come garbled on the line', () => {
  it('is degraded saying its replies come garbled and to check the cable, with the corrupt frames counted', async () => {
    const sim = await simulatorOn(0, [{ uid: 'E004010000000001', preset: 'V1' }], cleanups);
    const { pad, recorder, moreRounds } = await padOn(sim.tcpPort!, cleanups);
    await recorder.waitFor('tag_arrived');
    expect(pad.condition().detail.frameErrors).toBe(0);

    sim.setFaults({ crcErrorRate: 1 });
    const degraded = await until(() => (pad.condition().status === 'degraded' ? pad.condition() : undefined));
    expect(degraded.reason).toMatch(/^inventory failing: .*replies come garbled.*check the reader's cable/);
    expect(degraded.detail.frameErrors).toBeGreaterThanOrEqual(3);

    sim.setFaults({ crcErrorRate: 0 });
    await moreRounds(1);
    expect(pad.condition()).toMatchObject({ status: 'online', reason: null });
  });
});
