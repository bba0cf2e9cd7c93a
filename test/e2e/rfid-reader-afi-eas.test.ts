import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { padSecurityRig } from './pad-security-rig.js';

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
const SECURED = { afi: SECURED_AFI, eas: true };
const UNSECURED = { afi: UNSECURED_AFI, eas: false };

const rig = padSecurityRig('afi+eas');
const { call, itemTag, itemOf, readerLostAndBack, sessionWith } = rig;

/** The AFI and EAS bit of the tag as it lies on the simulated pad. */
const onPad = (uid: string) => {
  const tag = rig.tagOnPad(uid);
  return tag && { afi: tag.afi, eas: tag.eas };
};

describe('on a desk securing by the AFI and the EAS bit, after the pad’s reader was lost', () => {
  it.each([
    { half: 'its AFI secured, its EAS bit off', back: { afi: SECURED_AFI, eas: false } },
    { half: 'its EAS bit on, its AFI unsecured', back: { afi: UNSECURED_AFI, eas: true } },
  ])(
    'a returned item whose tag comes back with $half is secured whole again, not checked in again',
    async ({ back }) => {
      const library = rig.ils().state;
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
      const returns = rig.wire().count('09');

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
      expect(rig.wire().count('09')).toBe(returns);
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
    const loans = rig.wire().count('11');

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
    expect(
      rig
        .ils()
        .state.loansOf(PATRON)
        .filter((loan) => loan.item === '31000030'),
    ).toHaveLength(1);
    expect(rig.wire().count('11')).toBe(loans);
    await call('POST', '/api/v1/checkins', { item: '31000030' });
  });
});
