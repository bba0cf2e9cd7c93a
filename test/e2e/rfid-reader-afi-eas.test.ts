import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

/**
 * On a desk that secures items by both the AFI and the EAS bit (security.method afi+eas), an item
 * the self-check lent or took back is done only when its tag holds both as the desk writes them:
 * a tag read after the pad's reader was lost (the pad simulator over TCP stopped and started again
 * on its port) with only one of the two as wanted — the other changed at a station, or a gate,
 * that writes only that one — is written again, and the library system (the sample library's ILS
 * simulator behind a proxy writing down every SIP2 message) is not asked again. A gate checking
 * the other one would let a returned item through, or alarm on a lent one.
 */
const PATRON = '21000009';
const SECURED_AFI = 0x07;
const UNSECURED_AFI = 0xc2;

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
            security: { method: 'afi+eas' },
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

/** An ISO 28560-3 item tag with this AFI and EAS bit. */
function itemTag(item: string, security: { afi: number; eas: boolean }): TagSpec {
  const memory = encodeIso28560Part3({
    primaryItemId: item,
    typeOfUsage: 'circulating',
    ownerLibrary: 'SE-RPL',
  });
  return { memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e, ...security };
}

const SECURED = { afi: SECURED_AFI, eas: true };
const UNSECURED = { afi: UNSECURED_AFI, eas: false };

/** The AFI and EAS bit of the tag as it lies on the simulated pad. */
const onPad = (uid: string) => {
  const tag = sim.field.tag(uid);
  return tag && { afi: tag.afi, eas: tag.eas };
};
const itemOf = async (id: string, item: string) =>
  ((await call('GET', `/api/v1/sessions/${id}`)).body as SessionView).items.find(
    (entry) => entry.item === item,
  );

/** The reader's link lost, and back with the pad's one tag as given. */
async function readerLostAndBack(tag: TagSpec & { uid: string }): Promise<void> {
  await sim.close();
  await waitForDevice(desk.api, 'pad-1', 'offline');
  sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: port, tags: [tag] });
  await waitForDevice(desk.api, 'pad-1', 'online');
}

/** A session at the pad, items taken only when asked (auto off), with the one tag placed and seen. */
async function sessionWith(
  request: Record<string, unknown>,
  item: string,
  security: { afi: number; eas: boolean },
): Promise<{ id: string; uid: string }> {
  for (const tag of sim.tags()) sim.remove(String(tag.uid));
  // The tag of a test before (the same item) gone from the pad, not taken into this session.
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
}

describe('on a desk securing by the AFI and the EAS bit, after the pad’s reader was lost', () => {
  it.each([
    { half: 'its AFI secured, its EAS bit off', back: { afi: SECURED_AFI, eas: false } },
    { half: 'its EAS bit on, its AFI unsecured', back: { afi: UNSECURED_AFI, eas: true } },
  ])(
    'a returned item whose tag comes back with $half is secured whole again, not checked in again',
    async ({ back }) => {
      const library = ils.state;
      library.setLoan(library.item('31000026')!, {
        patron: PATRON,
        item: '31000026',
        checkedOutAt: new Date(),
        due: new Date(Date.now() + 7 * 86_400_000),
        renewals: 0,
      });
      const { id, uid } = await sessionWith({ mode: 'return' }, '31000026', UNSECURED);
      const returned = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' });
      expect(returned.body).toMatchObject({ state: 'checked_in', security: 'set' });
      expect(onPad(uid)).toEqual(SECURED);
      const returns = wire.count('09');

      await readerLostAndBack({ uid, ...itemTag('31000026', back) });
      await until(
        async () => {
          const tag = onPad(uid);
          return tag?.afi === SECURED_AFI && tag.eas && (await itemOf(id, '31000026'))?.security === 'set'
            ? true
            : undefined;
        },
        10_000,
        'the returned item’s tag was left with only part of its security (a gate checking the other lets it out)',
      );
      expect(await itemOf(id, '31000026')).toMatchObject({ state: 'checked_in', security: 'set' });
      expect(library.item('31000026')?.loan).toBeUndefined();
      expect(wire.count('09')).toBe(returns);
    },
  );

  it('a checked-out item whose tag comes back with its EAS bit on, its AFI unsecured, is unsecured whole again, not checked out again', async () => {
    const { id, uid } = await sessionWith(
      { mode: 'checkout', patron: PATRON, pin: '9999' },
      '31000030',
      SECURED,
    );
    const out = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000030' });
    expect(out.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
    expect(onPad(uid)).toEqual(UNSECURED);
    const loans = wire.count('11');

    await readerLostAndBack({ uid, ...itemTag('31000030', { afi: UNSECURED_AFI, eas: true }) });
    await until(
      async () => {
        const tag = onPad(uid);
        return tag?.afi === UNSECURED_AFI &&
          tag.eas === false &&
          (await itemOf(id, '31000030'))?.security === 'cleared'
          ? true
          : undefined;
      },
      10_000,
      'the checked-out item’s tag was left with its EAS bit on (it would alarm at an EAS gate)',
    );
    expect(ils.state.loansOf(PATRON).filter((loan) => loan.item === '31000030')).toHaveLength(1);
    expect(wire.count('11')).toBe(loans);
    await call('POST', '/api/v1/checkins', { item: '31000030' });
  });
});
