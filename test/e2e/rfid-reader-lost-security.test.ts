import { describe, expect, it } from 'vitest';
import type { TagSpec, VirtualTag } from '../../simulators/rfid-pad/index.js';
import { until } from '../helpers/until.js';
import { padSecurityRig } from './pad-security-rig.js';

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
    const rig = padSecurityRig(security.method);
    const { call, itemOf, readerLostAndBack } = rig;
    /** An ISO 28560-3 item tag as it lies on the pad, secured or not as the desk carries it. */
    const itemTag = (item: string, secured: boolean) => rig.itemTag(item, security.tag(secured));
    const sessionWith = (request: Record<string, unknown>, item: string, secured: boolean) =>
      rig.sessionWith(request, item, security.tag(secured));
    const securedOnPad = (uid: string) => security.secured(rig.tagOnPad(uid));

    it('a checked-out item whose tag comes back secured is unsecured again, not checked out again', async () => {
      const { id, uid } = await sessionWith(
        { mode: 'checkout', patron: PATRON, pin: '9999' },
        '31000030',
        true,
      );
      const out = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000030' });
      expect(out.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
      expect(securedOnPad(uid)).toBe(false);
      expect(rig.wire().count('11')).toBe(1);

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
      const loans = rig
        .ils()
        .state.loansOf(PATRON)
        .filter((loan) => loan.item === '31000030');
      expect(loans.map((loan) => loan.renewals)).toEqual([0]);
      expect(rig.wire().count('11')).toBe(1);
      await call('POST', '/api/v1/checkins', { item: '31000030' });
    });

    it('a returned item whose tag comes back unsecured is secured again, not checked in again', async () => {
      const library = rig.ils().state;
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
      const returns = rig.wire().count('09');

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
      expect(rig.wire().count('09')).toBe(returns);
    });
  },
);
