import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { type ItemFacts, ItemLookup, itemFactsOf } from '../../../src/gateway/families/gate/item-lookup.js';
import { decodeSip2Message, type Sip2Message } from '../../../src/protocols/sip2/index.js';

/** What the ILS says about an item as a gate needs it, from real SIP2 18 frames; and the cache in front of it. */
function answer(frame: string): Sip2Message<'itemInformationResponse'> {
  const result = decodeSip2Message(frame);
  if (!result.ok) throw result.error;
  return result.message as Sip2Message<'itemInformationResponse'>;
}

const facts = (item: string, extra: Partial<ItemFacts> = {}): ItemFacts => ({
  item,
  known: true,
  title: `Title of ${item}`,
  callNumber: null,
  permanentLocation: null,
  circulationStatus: 'available',
  dueDate: null,
  checkedOut: false,
  ...extra,
});

describe('an item information answer as the gate desk sees it', () => {
  it('an item on the shelf: its title and location, not checked out; no CS, so no call number (a location is not one)', () => {
    expect(
      itemFactsOf('31000004', answer('1803000120261202    100000AB31000004|AJMiddlemarch|AQMAIN|'), 'UTC'),
    ).toEqual({
      item: '31000004',
      known: true,
      title: 'Middlemarch',
      callNumber: null,
      permanentLocation: 'MAIN',
      circulationStatus: 'available',
      dueDate: null,
      checkedOut: false,
    });
  });

  it('an item on loan (04), not to be recalled (05) or recalled (07) is checked out, with its due date', () => {
    for (const status of ['04', '05', '07']) {
      const found = itemFactsOf(
        '31000005',
        answer(`18${status}000120261202    100000AB31000005|AJDune|AH20261215    235959|`),
        'UTC',
      );
      expect(found).toMatchObject({ checkedOut: true, dueDate: '2026-12-15T23:59:59.000Z' });
    }
  });

  it('missing, lost or claimed returned are not checked out: the item should not be leaving', () => {
    for (const status of ['11', '12', '13']) {
      expect(
        itemFactsOf('31000016', answer(`18${status}000120261202    100000AB31000016|AJAtlas|`), 'UTC'),
      ).toMatchObject({ checkedOut: false, known: true });
    }
  });

  it('takes the call number from the CS extension when the ILS sends one', () => {
    expect(
      itemFactsOf(
        '31000004',
        answer('1803000120261202    100000AB31000004|AJMiddlemarch|AQMAIN|CS823.8 ELI|'),
        'UTC',
      ),
    ).toMatchObject({ callNumber: '823.8 ELI', permanentLocation: 'MAIN' });
  });

  it('an item the ILS does not know is unknown and not checked out', () => {
    expect(
      itemFactsOf('99999999', answer('1801010120261202    100000AB99999999|AJ|AFUnknown item|'), 'UTC'),
    ).toMatchObject({ known: false, checkedOut: false, title: null });
  });
});

describe('the item cache', () => {
  function lookup(options: { size?: number; ttlMs?: number; maxInFlight?: number; maxQueued?: number } = {}) {
    const clock = new ManualClock();
    const asked: string[] = [];
    const pending = new Map<string, (facts: ItemFacts) => void>();
    const items = new ItemLookup(
      (item) => {
        asked.push(item);
        return new Promise((resolve) => pending.set(item, resolve));
      },
      clock,
      options,
    );
    const answerAll = async () => {
      for (const [item, resolve] of pending) resolve(facts(item));
      pending.clear();
      await clock.advance(0);
    };
    return { clock, items, asked, answerAll, pending };
  }

  it('asks once for lookups of one item at the same time, and reuses the answer within its TTL', async () => {
    const { items, asked, answerAll, clock } = lookup({ ttlMs: 60_000 });
    const first = items.recent('31000004');
    const second = items.fresh('31000004');
    await answerAll();
    expect(await first).toEqual(await second);
    expect(asked).toEqual(['31000004']);
    await items.recent('31000004');
    expect(asked).toHaveLength(1);
    await clock.advance(60_000);
    void items.recent('31000004');
    expect(asked).toHaveLength(2);
  });

  it('reuses an answer for its TTL of time passed, not of the wall clock (NTP stepping it back an hour)', async () => {
    const { items, asked, answerAll, clock } = lookup({ ttlMs: 60_000 });
    void items.recent('31000004');
    await answerAll();
    clock.stepWallClock(-3_600_000);
    await clock.advance(60_000);
    void items.recent('31000004');
    expect(asked).toHaveLength(2);
    await answerAll();
    // Stepped forward, an answer of a second ago is still fresh.
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    await items.recent('31000004');
    expect(asked).toHaveLength(2);
  });

  it('a decision always asks afresh: an item checked out a minute ago must not alarm from an old answer', async () => {
    const { items, asked, answerAll } = lookup();
    void items.recent('31000004');
    await answerAll();
    void items.fresh('31000004');
    expect(asked).toEqual(['31000004', '31000004']);
  });

  it('keeps at most `size` items, the least recently used going first', async () => {
    const { items, asked, answerAll } = lookup({ size: 2 });
    for (const item of ['a', 'b']) void items.recent(item);
    await answerAll();
    await items.recent('a'); // a is now the most recently used
    void items.recent('c');
    await answerAll();
    expect(items.cached).toBe(2);
    await items.recent('a');
    void items.recent('b');
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('runs only so many lookups at once; the others wait their turn, and past the queue are refused', async () => {
    const { items, asked, answerAll } = lookup({ maxInFlight: 2, maxQueued: 1 });
    void items.fresh('a');
    void items.fresh('b');
    const c = items.fresh('c');
    expect(asked).toEqual(['a', 'b']);
    await expect(items.fresh('d')).rejects.toMatchObject({ code: 'ils_busy' });
    await answerAll();
    expect(asked).toEqual(['a', 'b', 'c']);
    await answerAll();
    await expect(c).resolves.toMatchObject({ item: 'c' });
  });

  it('does not ask about a lookup still waiting its turn after its caller stopped waiting', async () => {
    const { items, asked, answerAll, clock } = lookup({ maxInFlight: 1 });
    void items.fresh('a');
    const b = items.fresh('b', 1000);
    const c = items.fresh('c', 60_000);
    await clock.advance(2000);
    await answerAll();
    await expect(b).rejects.toMatchObject({ code: 'ils_timeout' });
    expect(asked).toEqual(['a', 'c']);
    await answerAll();
    await expect(c).resolves.toMatchObject({ item: 'c' });
  });

  it('remembers no failure: the next lookup asks again', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const items = new ItemLookup(async () => {
      calls++;
      throw new Error('ILS away');
    }, clock);
    await expect(items.recent('a')).rejects.toThrow('ILS away');
    await expect(items.recent('a')).rejects.toThrow('ILS away');
    expect(calls).toBe(2);
    expect(items.cached).toBe(0);
  });
});
