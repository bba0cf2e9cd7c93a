/**
 * A pad on a desk that secures items by the tag's EAS bit (NXP EAS), alone or beside the AFI: what
 * it says of a tag's security is what that desk writes, read from the tag over the reader's
 * protocol (the pad simulator: FEIG over TCP, which has the EAS Alarm command; the 3M 810 over a
 * pty, which has no EAS command at all).
 */
import { describe, expect, it } from 'vitest';
import { startRfidPadSimulator } from '../../../simulators/rfid-pad/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { RfidPadDevice, ThreeMReader } from '../../../src/devices/rfid/index.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { until } from '../../helpers/until.js';
import { recordEvents } from './pad-events.js';
import { cleanedAfterEach, itemMemory, padOn, simulatorOn } from './pad-over-tcp.js';

const A = 'E004010000000001';
const B = 'E004010000000002';
const C = 'E004010000000003';
const SECURED_AFI = 0x07;
const UNSECURED_AFI = 0xc2;

const cleanups = cleanedAfterEach();

/** Each tag's `secured` as tag_arrived said it, and as tags() says it. */
async function securedOnArrival(
  method: 'afi' | 'eas' | 'afi+eas',
  tags: Array<{ uid: string; afi: number; eas: boolean }>,
) {
  const sim = await simulatorOn(
    0,
    tags.map((tag, i) => ({ ...tag, memoryHex: itemMemory(`300050${i}`) })),
    cleanups,
  );
  const { pad, recorder } = await padOn(sim.tcpPort!, cleanups, { security: { method } });
  const arrived = await recorder.waitFor('tag_arrived', () => true, tags.length);
  return {
    told: Object.fromEntries(arrived.map((e) => [e.data.uid, e.data.secured])),
    offered: Object.fromEntries(pad.tags().map((t) => [t.uid, t.secured ?? null])),
  };
}

describe('RfidPadDevice on a desk securing by EAS', () => {
  it('says a tag is secured by its EAS bit, whatever its AFI', async () => {
    const { told, offered } = await securedOnArrival('eas', [
      { uid: A, afi: UNSECURED_AFI, eas: true },
      { uid: B, afi: SECURED_AFI, eas: false },
    ]);
    expect(told).toEqual({ [A]: true, [B]: false });
    expect(offered).toEqual(told);
  });

  it('by AFI and EAS, says a tag is secured when either would alarm a gate, unsecured when neither would', async () => {
    const { told, offered } = await securedOnArrival('afi+eas', [
      { uid: A, afi: UNSECURED_AFI, eas: true },
      { uid: B, afi: UNSECURED_AFI, eas: false },
      { uid: C, afi: SECURED_AFI, eas: false },
    ]);
    expect(told).toEqual({ [A]: true, [B]: false, [C]: true });
    expect(offered).toEqual(told);
  });

  it('by AFI alone, the EAS bit is not asked and does not count', async () => {
    const { told } = await securedOnArrival('afi', [
      { uid: A, afi: UNSECURED_AFI, eas: true },
      { uid: B, afi: SECURED_AFI, eas: false },
    ]);
    expect(told).toEqual({ [A]: false, [B]: true });
  });

  it('after unsecuring a tag, says it is unsecured', async () => {
    const sim = await simulatorOn(0, [{ uid: A, memoryHex: itemMemory('3000601'), eas: true }], cleanups);
    const { pad, recorder } = await padOn(sim.tcpPort!, cleanups, { security: { method: 'eas' } });
    await recorder.waitFor('tag_arrived');
    expect(pad.tags()[0]?.secured).toBe(true);
    expect(await pad.setSecurity(A, false)).toMatchObject({ status: 'done' });
    expect(sim.field.tag(A)?.eas).toBe(false);
    expect(pad.tags()[0]?.secured).toBe(false);
  });

  it('back after its reader was lost, a tag whose EAS bit was set or cleared meanwhile leaves and arrives as it is; one as it was says nothing', async () => {
    const first = await simulatorOn(
      0,
      [
        { uid: A, memoryHex: itemMemory('3000701'), eas: false },
        { uid: B, memoryHex: itemMemory('3000702'), eas: true },
        { uid: C, memoryHex: itemMemory('3000703'), eas: true },
      ],
      cleanups,
    );
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds } = await padOn(port, cleanups, { security: { method: 'eas' } });
    await recorder.waitFor('tag_arrived', () => true, 3);
    const before = recorder.events.length;

    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    // Meanwhile A was secured at another station and B unsecured; C left as it was.
    await simulatorOn(
      port,
      [
        { uid: A, memoryHex: itemMemory('3000701'), eas: true },
        { uid: B, memoryHex: itemMemory('3000702'), eas: false },
        { uid: C, memoryHex: itemMemory('3000703'), eas: true },
      ],
      cleanups,
    );
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(5);
    const after = recorder.events
      .slice(before)
      .map((e) => [e.type, e.data.uid, ...(e.type === 'tag_arrived' ? [e.data.secured] : [])]);
    expect(after.filter(([, uid]) => uid === A)).toEqual([
      ['tag_left', A],
      ['tag_arrived', A, true],
    ]);
    expect(after.filter(([, uid]) => uid === B)).toEqual([
      ['tag_left', B],
      ['tag_arrived', B, false],
    ]);
    expect(after.filter(([, uid]) => uid === C)).toEqual([]);
    expect(Object.fromEntries(pad.tags().map((t) => [t.uid, t.secured]))).toEqual({
      [A]: true,
      [B]: false,
      [C]: true,
    });
  });

  it('with a reader that cannot read EAS (the 3M 810), says a tag’s security is not known rather than guess it from the AFI', async () => {
    const sim = await startRfidPadSimulator({
      protocol: '3m',
      pty: true,
      tags: [{ uid: A, memoryHex: itemMemory('3000801'), afi: SECURED_AFI, eas: false }],
    });
    cleanups.push(() => sim.close());
    const pad = new RfidPadDevice({
      id: 'pad',
      reader: new ThreeMReader({
        transport: new SerialTransport({ path: sim.ptyPath!, baudRate: 19200 }),
        clock: systemClock,
      }),
      clock: systemClock,
      logger: silentLogger(),
      inventoryIntervalMs: 20,
      security: { method: 'eas' },
    });
    cleanups.push(() => pad.disconnect());
    const recorder = recordEvents(pad);
    await pad.connect();
    const [arrived] = await recorder.waitFor('tag_arrived');
    expect(arrived?.data).toMatchObject({ uid: A, secured: null, item: { primaryItemId: '3000801' } });
    expect(pad.tags()[0]).not.toHaveProperty('secured');
  });
});
