import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GateSimulator, GateSimulatorOptions } from '../../../simulators/gate/index.js';
import { type Rig, startRig } from '../../devices/gate/gate-rig.js';

/**
 * The simulated gate alarms on what it is set to watch, as a real gate's reader is set up: its
 * AFI filter, the NXP EAS bit, or either. Each tag carries an AFI and an EAS bit of its own; a
 * passage is walked over the control API (HTTP) and what the gate reports reaches a FEIG gate
 * driver as notifications over TCP.
 */
let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

const POLL = { timeout: 5000, interval: 20 };

/** Four books: secured by the AFI only, by the EAS bit only, by neither (lent), by both (on the shelf). */
const AFI_ONLY = { item: '31000004', afi: 0x07, eas: false };
const EAS_ONLY = { item: '31000005', afi: 0xc2, eas: true };
const LENT = { item: '31000006', secured: false };
const SHELF = { item: '31000013', secured: true };

interface Walked {
  alarmed: boolean;
  notified: number;
  tags: Array<{ uid: string; item: string | null; afi: number; eas: boolean; secured: boolean }>;
}

async function gateWatching(options: Partial<GateSimulatorOptions>) {
  const sim = await rig.simulator(options);
  const { gate, events } = rig.gate(sim);
  await gate.connect();
  await expect.poll(() => gate.condition().status, POLL).toBe('online');
  const reported = () => events.filter((e) => e.type === 'tag_read').map((e) => e.data.uid as string);
  return { sim, reported };
}

async function walk(sim: GateSimulator, items: unknown[]): Promise<Walked> {
  const response = await fetch(`${sim.httpUrl}/api/passages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ direction: 'out', items }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Walked;
}

/** Walks each book out alone, then all four together, and returns which alarmed and which the gate reported. */
async function alarmsOf(options: Partial<GateSimulatorOptions>) {
  const { sim, reported } = await gateWatching(options);
  const alarmed: string[] = [];
  for (const book of [AFI_ONLY, EAS_ONLY, LENT, SHELF]) {
    const walked = await walk(sim, [book]);
    expect(walked.notified).toBe(walked.alarmed ? 1 : 0);
    expect(walked.tags[0]!.secured).toBe(walked.alarmed);
    if (walked.alarmed) alarmed.push(book.item);
  }
  const together = await walk(sim, [AFI_ONLY, EAS_ONLY, LENT, SHELF]);
  const secured = together.tags.filter((tag) => tag.secured);
  expect(together).toMatchObject({ alarmed: true, notified: secured.length });
  // What went over TCP: the records of the secured tags of each walk, nothing of the others.
  await expect.poll(() => reported().length, POLL).toBe(alarmed.length + secured.length);
  expect(reported().slice(alarmed.length).sort()).toEqual(secured.map((tag) => tag.uid).sort());
  return { alarmed, together: together.tags, state: sim.state() };
}

describe('the simulated gate alarms on what it watches', () => {
  it('watching the AFI (the default): a tag with AFI 0x07 alarms whatever its EAS bit, one with EAS only passes', async () => {
    const { alarmed, together, state } = await alarmsOf({});
    expect(alarmed).toEqual(['31000004', '31000013']);
    expect(state).toMatchObject({ watch: 'afi', securedAfi: 0x07 });
    // Each tag shows its own AFI and EAS bit; `secured` sets both alike.
    expect(together).toMatchObject([
      { item: '31000004', afi: 0x07, eas: false, secured: true },
      { item: '31000005', afi: 0xc2, eas: true, secured: false },
      { item: '31000006', afi: 0xc2, eas: false, secured: false },
      { item: '31000013', afi: 0x07, eas: true, secured: true },
    ]);
  });

  it('watching the EAS bit: a tag with EAS on alarms whatever its AFI, one secured by its AFI only passes', async () => {
    const { alarmed, state } = await alarmsOf({ watch: 'eas' });
    expect(alarmed).toEqual(['31000005', '31000013']);
    expect(state).toMatchObject({ watch: 'eas' });
  });

  it('watching both: either the AFI or the EAS bit alarms, a lent tag with neither passes', async () => {
    const { alarmed } = await alarmsOf({ watch: 'afi+eas' });
    expect(alarmed).toEqual(['31000004', '31000005', '31000013']);
  });

  it("watches the site's own secured AFI, which a secured tag then has", async () => {
    const { sim } = await gateWatching({ securedAfi: 0x21 });
    expect(await walk(sim, [SHELF])).toMatchObject({
      alarmed: true,
      notified: 1,
      tags: [{ afi: 0x21, eas: true, secured: true }],
    });
    // The registered value is not this site's: its EAS bit on, unwatched, it passes.
    expect(await walk(sim, [{ item: '31000004', afi: 0x07 }])).toMatchObject({
      alarmed: false,
      notified: 0,
      tags: [{ afi: 0x07, eas: true, secured: false }],
    });
  });

  it('gives raw memory its AFI and EAS bit too, and refuses a tag security it cannot hold', async () => {
    const { sim } = await gateWatching({ watch: 'eas' });
    expect(await walk(sim, [{ memoryHex: '11010131', afi: 0x07, eas: true }])).toMatchObject({
      alarmed: true,
      tags: [{ item: null, afi: 0x07, eas: true, secured: true }],
    });
    for (const bad of [{ item: '31000004', afi: 256 }, { item: '31000004', eas: 'on' }, { afi: 7 }]) {
      const response = await fetch(`${sim.httpUrl}/api/passages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ direction: 'out', items: [bad] }),
      });
      expect(response.status).toBe(400);
    }
    expect(sim.state()).toMatchObject({ passages: 1 });
  });
});
