import { afterEach, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { parseConfigText } from '../../src/app/config.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A damaged tag on the simulated desk's pad (the pad simulator over TCP: it answers the inventory,
 * and every read of its memory with the tag's own error): the desk says so wherever it lists the
 * pad's tags, not only in the event of its arrival; a developer can start a simulated desk with one.
 */
let desk: TestDesk | undefined;
const call = jsonCaller(() => desk!.api);

afterEach(async () => {
  await desk?.stop();
  desk = undefined;
});

type PadTags = { tags: Array<{ uid: string; item: { primaryItemId: string } | null; readError?: string }> };

/** The pad's tags once it lists `count`. */
async function padTags(count: number): Promise<PadTags['tags']> {
  return until(async () => {
    const answer = await call('GET', '/api/v1/rfid/pad-1/tags');
    const { tags } = answer.body as PadTags;
    return answer.status === 200 && tags.length === count ? tags : undefined;
  });
}

describe('a damaged tag on the pad', () => {
  it('is listed among the pad’s tags with why it has no item, and a session opened while it lies there lists it as unreadable', async () => {
    desk = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) => (s.kind === 'rfid-pad' ? { ...s, tags: [] } : s)),
    }));
    await waitForDevice(desk.api, 'ils', 'online');
    await waitForDevice(desk.api, 'pad-1', 'online');
    const sim = desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
    const memory = encodeIso28560Part3({ primaryItemId: '31000030', ownerLibrary: 'SE-RPL' });
    const damaged = sim.place({ memoryHex: Buffer.from(memory).toString('hex'), unreadable: true }).uid;

    const [listed] = await padTags(1);
    expect(listed).toEqual(
      expect.objectContaining({ uid: damaged, item: null, readError: 'rfid_iso_error' }),
    );

    // A patron comes to the pad with it already lying there: the kiosk is told to send them to the desk.
    const opened = await call('POST', '/api/v1/sessions', {
      pad: 'pad-1',
      mode: 'checkout',
      patron: '21000009',
      pin: '9999',
    });
    expect(opened.status).toBe(201);
    const session = opened.body as SessionView;
    expect(session.unreadableTags).toEqual([{ uid: damaged, reason: 'rfid_iso_error' }]);
    expect(session.items).toEqual([]);
    await call('DELETE', `/api/v1/sessions/${session.id}`);
  });

  it('a simulated desk started with one on its pad, as a developer writes it in simulators[].tags, shows it so', async () => {
    const written = parseConfigText(
      'version: 1\nsimulators:\n  - id: pad-sim\n    kind: rfid-pad\n    tags: [{ item: "31000026", unreadable: true }, { item: "31000030" }]\n',
      'yaml',
      {},
    );
    const padSim = written.simulators[0]!;
    desk = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) => (s.id === 'pad-sim' ? padSim : s)),
    }));
    await waitForDevice(desk.api, 'pad-1', 'online');
    const tags = await padTags(2);
    expect(tags.map((tag) => [tag.item?.primaryItemId ?? null, tag.readError ?? null]).sort()).toEqual([
      [null, 'rfid_iso_error'],
      ['31000030', null],
    ]);
    // The simulator holds the item's memory all the same: it is the chip that fails.
    const sim = desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
    expect(sim.tags().map((tag) => tag.unreadable)).toEqual([true, false]);
  });
});
