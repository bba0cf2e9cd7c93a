import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import {
  type RfidPadSimulator,
  startRfidPadSimulator,
  type TagSpec,
  type VirtualTag,
} from '../../simulators/rfid-pad/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';
import { SipRecorder } from '../helpers/sip-recorder.js';
import { until } from '../helpers/until.js';

/**
 * An item's security after the self-check pad's reader was lost for a moment (the pad simulator
 * over TCP stopped and started again on its port): an item the session lent or took back whose
 * tag comes back with the wrong security (set again at another station meanwhile, or never
 * written) is written again, and the library system (the sample library's ILS simulator behind a
 * proxy that writes down every SIP2 message) is not asked again. So on a desk that secures by the
 * AFI, and on one that secures by the tag's EAS bit (its AFI left as it is).
 */
const PATRON = '21000009';
const SECURED_AFI = 0x07;
const UNSECURED_AFI = 0xc2;

/** How a desk carries an item's security on its tags: the tag spec for it, and reading it back. */
interface SecurityMethod {
  method: 'afi' | 'eas';
  tag(secured: boolean): Pick<TagSpec, 'afi' | 'eas'>;
  secured(tag: VirtualTag | undefined): boolean | undefined;
}

const METHODS: SecurityMethod[] = [
  {
    method: 'afi',
    tag: (secured) => ({ afi: secured ? SECURED_AFI : UNSECURED_AFI }),
    secured: (tag) => (tag === undefined ? undefined : tag.afi === SECURED_AFI),
  },
  {
    method: 'eas',
    // The desk writes only the EAS bit: the AFI stays whatever the tag was given (here "secured").
    tag: (secured) => ({ afi: SECURED_AFI, eas: secured }),
    secured: (tag) => tag?.eas,
  },
];

describe.each(METHODS)(
  'an item’s security after the pad’s reader was lost, on a desk securing by $method',
  (security) => {
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
                security: { method: security.method },
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

    /** An ISO 28560-3 item tag as it lies on the pad, secured or not as the desk carries it. */
    function itemTag(item: string, secured: boolean): TagSpec {
      const memory = encodeIso28560Part3({
        primaryItemId: item,
        typeOfUsage: 'circulating',
        ownerLibrary: 'SE-RPL',
      });
      return { memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e, ...security.tag(secured) };
    }

    const securedOnPad = (uid: string) => security.secured(sim.field.tag(uid));
    const sessionView = async (id: string) =>
      (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
    const itemOf = async (id: string, item: string) =>
      (await sessionView(id)).items.find((entry) => entry.item === item);

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
      secured: boolean,
    ): Promise<{ id: string; uid: string }> {
      for (const tag of sim.tags()) sim.remove(String(tag.uid));
      const opened = await call('POST', '/api/v1/sessions', { pad: 'pad-1', auto: false, ...request });
      expect(opened.status).toBe(201);
      const id = (opened.body as SessionView).id;
      const uid = sim.place(itemTag(item, secured)).uid;
      await until(async () => ((await itemOf(id, item))?.state === 'on_pad' ? true : undefined));
      return { id, uid };
    }

    it('a checked-out item whose tag comes back secured is unsecured again, not checked out again', async () => {
      const { id, uid } = await sessionWith(
        { mode: 'checkout', patron: PATRON, pin: '9999' },
        '31000030',
        true,
      );
      const out = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000030' });
      expect(out.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
      expect(securedOnPad(uid)).toBe(false);
      expect(wire.count('11')).toBe(1);

      // Secured again at another station while the reader was away.
      await readerLostAndBack({ uid, ...itemTag('31000030', true) });
      await until(
        async () =>
          securedOnPad(uid) === false && (await itemOf(id, '31000030'))?.security === 'cleared'
            ? true
            : undefined,
        10_000,
        'the checked-out item’s tag was left secured (it would alarm at the gate), or not read back',
      );
      expect(await itemOf(id, '31000030')).toMatchObject({ state: 'checked_out', security: 'cleared' });
      const loans = ils.state.loansOf(PATRON).filter((loan) => loan.item === '31000030');
      expect(loans.map((loan) => loan.renewals)).toEqual([0]);
      expect(wire.count('11')).toBe(1);
      await call('POST', '/api/v1/checkins', { item: '31000030' });
    });

    it('a returned item whose tag comes back unsecured is secured again, not checked in again', async () => {
      const library = ils.state;
      const due = new Date(Date.now() + 7 * 86_400_000);
      library.setLoan(library.item('31000026')!, {
        patron: PATRON,
        item: '31000026',
        checkedOutAt: new Date(),
        due,
        renewals: 0,
      });
      const { id, uid } = await sessionWith({ mode: 'return' }, '31000026', false);
      const back = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' });
      expect(back.body).toMatchObject({ state: 'checked_in', security: 'set' });
      expect(securedOnPad(uid)).toBe(true);
      const returns = wire.count('09');

      // Unsecured while the reader was away (a checkout elsewhere that the library system never saw).
      await readerLostAndBack({ uid, ...itemTag('31000026', false) });
      await until(
        async () =>
          securedOnPad(uid) === true && (await itemOf(id, '31000026'))?.security === 'set' ? true : undefined,
        10_000,
        'the returned item’s tag was left unsecured (it would leave the library unseen), or not read back',
      );
      expect(await itemOf(id, '31000026')).toMatchObject({ state: 'checked_in', security: 'set' });
      expect(library.item('31000026')?.loan).toBeUndefined();
      expect(wire.count('09')).toBe(returns);
    });
  },
);
