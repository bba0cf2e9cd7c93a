import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type IlsFixture, loadIlsFixture } from '../../../simulators/ils/fixture.js';
import { IlsLibrary } from '../../../simulators/ils/library.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { HoldMode } from '../../../src/protocols/sip2/index.js';
import { SAMPLE_FIXTURE } from './paths.js';

// The library keeps who-has-what in indexes; these tests hold them to what a scan of every item says.

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const HOUR = 3_600_000;

let fixture: IlsFixture;
beforeAll(async () => {
  fixture = await loadIlsFixture(SAMPLE_FIXTURE);
});

/** What the indexes must agree with: the items, scanned in fixture order. */
function scanned(library: IlsLibrary, patron: string) {
  const items = [...library.items.values()];
  return {
    loans: items
      .flatMap((item) => (item.loan?.patron === patron ? [item.loan] : []))
      .sort((a, b) => a.checkedOutAt.getTime() - b.checkedOutAt.getTime())
      .map((loan) => loan.item),
    available: items.filter((item) => item.onHoldShelf?.patron === patron).map((item) => item.barcode),
    waiting: items
      .filter((item) => item.holdQueue.some((hold) => hold.patron === patron))
      .map((item) => item.barcode),
  };
}

function indexed(library: IlsLibrary, patron: string) {
  return {
    loans: library.loansOf(patron).map((loan) => loan.item),
    available: library.availableHoldsOf(patron).map((item) => item.barcode),
    waiting: library.unavailableHoldsOf(patron).map((item) => item.barcode),
  };
}

function expectIndexesMatchScan(library: IlsLibrary): void {
  for (const patron of library.patrons.keys())
    expect(indexed(library, patron), patron).toEqual(scanned(library, patron));
}

type Step =
  | { kind: 'checkout'; patron: number; item: number; noBlock: boolean; cancel: boolean }
  | { kind: 'checkin'; item: number; branch: number }
  | { kind: 'hold'; patron: number; item: number; mode: HoldMode; pickup: number }
  | { kind: 'renewAll'; patron: number }
  | { kind: 'wait'; hours: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('checkout' as const),
    patron: fc.nat(9),
    item: fc.nat(29),
    noBlock: fc.boolean(),
    cancel: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('checkin' as const), item: fc.nat(29), branch: fc.nat(1) }),
  fc.record({
    kind: fc.constant('hold' as const),
    patron: fc.nat(9),
    item: fc.nat(29),
    mode: fc.constantFrom<HoldMode>('add', 'add', 'delete', 'change'),
    pickup: fc.nat(1),
  }),
  fc.record({ kind: fc.constant('renewAll' as const), patron: fc.nat(9) }),
  // Zero hours: loans made at the same instant, ordered by the fixture.
  fc.record({ kind: fc.constant('wait' as const), hours: fc.constantFrom(0, 0, 1, 24 * 40) }),
);

function run(library: IlsLibrary, clock: ManualClock, steps: Step[]): void {
  const patrons = [...library.patrons.keys()];
  const items = [...library.items.keys()];
  const branches = ['MAIN', 'EAST'];
  for (const s of steps) {
    switch (s.kind) {
      case 'checkout':
        library.checkout({
          patron: patrons[s.patron]!,
          item: items[s.item]!,
          branch: 'MAIN',
          noBlock: s.noBlock,
          cancel: s.cancel,
          feeAcknowledged: true,
        });
        break;
      case 'checkin':
        library.checkin({ item: items[s.item]!, branch: branches[s.branch]! });
        break;
      case 'hold':
        library.hold({
          mode: s.mode,
          patron: patrons[s.patron]!,
          item: items[s.item]!,
          pickup: branches[s.pickup]!,
        });
        break;
      case 'renewAll':
        library.renewAll(patrons[s.patron]!);
        break;
      case 'wait':
        clock.advance(s.hours * HOUR);
        break;
    }
  }
}

describe('circulation indexes', () => {
  it('start out as a scan of the fixture finds them', () => {
    const library = new IlsLibrary(fixture, { clock: new ManualClock(START) });
    expectIndexesMatchScan(library);
    // The sample library has loans, waiting holds and a hold on the shelf to compare.
    expect([...library.patrons.keys()].some((p) => library.loansOf(p).length > 1)).toBe(true);
    expect([...library.patrons.keys()].some((p) => library.unavailableHoldsOf(p).length > 0)).toBe(true);
    expect([...library.patrons.keys()].some((p) => library.availableHoldsOf(p).length > 0)).toBe(true);
  });

  it('stay what a scan finds through any run of checkouts, checkins, holds and renewals', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const clock = new ManualClock(START);
        const library = new IlsLibrary(fixture, { clock });
        run(library, clock, steps);
        expectIndexesMatchScan(library);
      }),
      { numRuns: 300 },
    );
  });

  it('give each patron their loans oldest first, same-instant loans in fixture order', () => {
    const clock = new ManualClock(START);
    const library = new IlsLibrary(fixture, { clock });
    const patron = '21000010';
    const before = library.loansOf(patron).length;
    for (const item of ['31000030', '31000005', '31000026']) {
      expect(library.checkout({ patron, item, branch: 'MAIN' }).ok, item).toBe(true);
    }
    clock.advance(HOUR);
    expect(library.checkout({ patron, item: '31000006', branch: 'MAIN' }).ok).toBe(true);
    expect(
      library
        .loansOf(patron)
        .slice(before)
        .map((loan) => loan.item),
    ).toEqual(['31000005', '31000026', '31000030', '31000006']);
  });

  it('hand out a loan list the caller may change without changing the library', () => {
    const library = new IlsLibrary(fixture, { clock: new ManualClock(START) });
    const patron = [...library.patrons.keys()].find((p) => library.loansOf(p).length > 0)!;
    const count = library.loansOf(patron).length;
    library.loansOf(patron).pop();
    expect(library.loansOf(patron)).toHaveLength(count);
  });
});
