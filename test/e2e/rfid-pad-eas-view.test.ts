import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A tag's EAS bit as the API shows it: what the desk pad (the pad simulator over TCP, FEIG) read of
 * each tag, in GET /api/v1/rfid/:reader/tags and in its rfid.tag_arrived on the event WebSocket —
 * so a kiosk developer, or IT asking why a gate alarms, sees it beside the AFI; null where the pad
 * does not read it (a desk securing by the AFI alone), as the AFI is null when not read.
 */
let desk: TestDesk | undefined;
let ws: WebSocket | undefined;
const call = jsonCaller(() => desk!.api);
const arrivals: Array<Record<string, unknown>> = [];

afterEach(async () => {
  ws?.close();
  ws = undefined;
  arrivals.length = 0;
  await desk?.stop();
  desk = undefined;
});

interface TagJson {
  uid: string;
  afi: number | null;
  eas?: boolean | null;
  secured: boolean | null;
}

/**
 * The simulated desk, its pad empty (or with its own shelf items, `shelf`) and securing items by
 * `method`, its events listened to.
 */
async function deskSecuringBy(method: 'afi' | 'eas' | 'afi+eas', shelf = false): Promise<void> {
  desk = await startTestDesk((config) => ({
    ...config,
    simulators: config.simulators.map((s) => (s.id === 'pad-sim' && !shelf ? { ...s, tags: [] } : s)),
    devices: config.devices.map((device) =>
      device.id === 'pad-1'
        ? ({ ...device, security: { method } } as CarrelConfig['devices'][number])
        : device,
    ),
  }));
  await waitForDevice(desk.api, 'pad-1', 'online');
  const socket = new WebSocket(`${desk.api.replace('http', 'ws')}/api/v1/events`);
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    if (message.event === 'device.event' && message.data.type === 'rfid.tag_arrived')
      arrivals.push(message.data.data);
  });
  await new Promise((resolve) => socket.once('open', resolve));
  ws = socket;
}

const pad = () => desk!.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;

/** The pad's tag as listed over the API and as its arrival said, once both know it. */
async function seen(uid: string): Promise<{ listed: TagJson; arrived: Record<string, unknown> }> {
  return until(async () => {
    const answer = await call('GET', '/api/v1/rfid/pad-1/tags');
    const listed = (answer.body as { tags: TagJson[] }).tags?.find((tag) => tag.uid === uid);
    const arrived = arrivals.find((data) => data.uid === uid);
    return listed && arrived ? { listed, arrived } : undefined;
  });
}

describe('a tag’s EAS bit over the API', () => {
  it('is shown, beside its AFI, on a desk securing by EAS: in the pad’s tags and in its arrival', async () => {
    await deskSecuringBy('eas');
    const alarming = pad().place({ item: { id: '31000026' }, eas: true }).uid;
    const silent = pad().place({ item: { id: '31000030' }, eas: false }).uid;

    const on = await seen(alarming);
    expect(on.listed).toMatchObject({ afi: 0x07, eas: true, secured: true });
    expect(on.arrived).toMatchObject({ afi: 0x07, eas: true, secured: true });
    // Its AFI says secured, its EAS bit not: a gate checking EAS lets it through, and one sees why.
    const off = await seen(silent);
    expect(off.listed).toMatchObject({ afi: 0x07, eas: false, secured: false });
    expect(off.arrived).toMatchObject({ afi: 0x07, eas: false, secured: false });
  });

  it.each(['eas', 'afi+eas'] as const)(
    'on a simulated desk securing by %s, the items it starts with on its pad read secured, as on the shelf',
    async (method) => {
      await deskSecuringBy(method, true);
      const tags = await until(async () => {
        const answer = await call('GET', '/api/v1/rfid/pad-1/tags');
        const listed = (answer.body as { tags: Array<TagJson & { item: { primaryItemId: string } }> }).tags;
        return listed?.length === 2 ? listed : undefined;
      });
      expect(tags.map((tag) => [tag.item.primaryItemId, tag.afi, tag.eas, tag.secured]).sort()).toEqual([
        ['31000026', 0x07, true, true],
        ['31000030', 0x07, true, true],
      ]);
    },
  );

  it('is null where the pad does not read it, on a desk securing by the AFI', async () => {
    await deskSecuringBy('afi');
    const uid = pad().place({ item: { id: '31000026' }, eas: true }).uid;
    const { listed, arrived } = await seen(uid);
    expect(listed).toMatchObject({ afi: 0x07, eas: null, secured: true });
    expect(arrived).toMatchObject({ afi: 0x07, eas: null, secured: true });
  });
});
