import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import {
  type RfidPadSimulator,
  startRfidPadSimulator,
  type TagSpec,
} from '../../simulators/rfid-pad/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';
import { SipRecorder } from '../helpers/sip-recorder.js';
import { until } from '../helpers/until.js';

/** What of a tag carries an item's security: its AFI, its EAS bit, or both. */
export type TagSecurity = Pick<TagSpec, 'afi' | 'eas'>;

/**
 * A simulated desk whose self-check pad `pad-1` is a pad simulator over TCP that a test can stop and
 * start again on its port (its reader's link lost and back), securing items by `method`; the
 * sample library's ILS simulator behind a proxy that writes down every SIP2 message. Registers the
 * suite's hooks (sessions left open are ended after each test) and gives what the tests use.
 */
export function padSecurityRig(method: 'afi' | 'eas' | 'afi+eas') {
  let ils: IlsSimulator;
  let wire: SipRecorder;
  let sim: RfidPadSimulator;
  let port: number;
  let desk: TestDesk;
  const call = jsonCaller(() => desk.api);

  beforeAll(async () => {
    ils = await startIlsSimulator({ fixture: sampleFixturePath() });
    wire = await SipRecorder.start(ils.port);
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    port = sim.tcpPort!;
    desk = await startTestDesk((config) => ({
      ...withIlsAt(config, wire.port),
      mqtt: { mode: 'off' },
      devices: withIlsAt(config, wire.port).devices.map((device) =>
        device.id === 'pad-1'
          ? ({
              ...device,
              transport: { type: 'tcp', host: '127.0.0.1', port },
              inventoryIntervalMs: 50,
              security: { method },
            } as CarrelConfig['devices'][number])
          : device,
      ),
    }));
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    await waitForDevice(desk.api, 'pad-1', 'online');
  }, 30_000);

  afterAll(async () => {
    await desk?.stop();
    await sim?.close();
    await wire?.close();
    await ils?.close();
  });

  afterEach(async () => {
    const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: SessionView[] };
    for (const session of sessions)
      if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
  });

  /** An ISO 28560-3 item tag with this security. */
  const itemTag = (item: string, security: TagSecurity): TagSpec => {
    const memory = encodeIso28560Part3({
      primaryItemId: item,
      typeOfUsage: 'circulating',
      ownerLibrary: 'SE-RPL',
    });
    return { memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e, ...security };
  };

  const itemOf = async (id: string, item: string) =>
    ((await call('GET', `/api/v1/sessions/${id}`)).body as SessionView).items.find(
      (entry) => entry.item === item,
    );

  return {
    call,
    ils: () => ils,
    wire: () => wire,
    /** The tag as it lies on the simulated pad now. */
    tagOnPad: (uid: string) => sim.field.tag(uid),
    itemTag,
    itemOf,
    /** The reader's link lost, and back with the pad's one tag as given. */
    async readerLostAndBack(tag: TagSpec & { uid: string }): Promise<void> {
      await sim.close();
      await waitForDevice(desk.api, 'pad-1', 'offline');
      sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: port, tags: [tag] });
      await waitForDevice(desk.api, 'pad-1', 'online');
    },
    /** A session at the pad, items taken only when asked (auto off), with the one tag placed and seen. */
    async sessionWith(
      request: Record<string, unknown>,
      item: string,
      security: TagSecurity,
    ): Promise<{ id: string; uid: string }> {
      for (const tag of sim.tags()) sim.remove(String(tag.uid));
      // The tag of a test before (maybe the same item) gone from the pad, not taken into this session.
      await until(async () => {
        const { status, body } = await call('GET', '/api/v1/rfid/pad-1/tags');
        return status === 200 && (body as { tags: unknown[] }).tags.length === 0 ? true : undefined;
      });
      const opened = await call('POST', '/api/v1/sessions', { pad: 'pad-1', auto: false, ...request });
      expect(opened.status).toBe(201);
      const id = (opened.body as SessionView).id;
      const uid = sim.place(itemTag(item, security)).uid;
      await until(async () => ((await itemOf(id, item))?.state === 'on_pad' ? true : undefined));
      return { id, uid };
    },
  };
}
