import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { type PresenceChange, PresenceDebouncer } from '../../../src/devices/gate/presence.js';

const A = 'E004010000000001';
const B = 'E004010000000002';
const types = (changes: PresenceChange[]) => changes.map((c) => `${c.type}:${c.tag.uid.slice(-1)}`);

describe('PresenceDebouncer (3 reads over 750 ms stable, 1 s without a read gone)', () => {
  it('is stable only when both the reads and the time are reached', async () => {
    const clock = new ManualClock();
    const presence = new PresenceDebouncer(clock);
    expect(types(presence.observe(A))).toEqual(['seen:1']);
    await clock.advance(100);
    expect(presence.observe(A)).toEqual([]);
    await clock.advance(100);
    // Three reads in 200 ms: enough reads, not enough time.
    expect(presence.observe(A)).toEqual([]);
    await clock.advance(549);
    expect(presence.observe(A)).toEqual([]);
    await clock.advance(1);
    const stable = presence.observe(A);
    expect(types(stable)).toEqual(['stable:1']);
    expect(stable[0]!.tag).toMatchObject({ reads: 5, stable: true });
    expect(presence.observe(A)).toEqual([]);
  });

  it('needs the reads too: two reads a second apart are not stable', async () => {
    const clock = new ManualClock();
    const presence = new PresenceDebouncer(clock);
    presence.observe(A);
    await clock.advance(900);
    expect(presence.observe(A)).toEqual([]);
    expect(presence.present()[0]).toMatchObject({ reads: 2, stable: false });
  });

  it('reports a tag gone after 1 s without a read, not before', async () => {
    const clock = new ManualClock();
    const presence = new PresenceDebouncer(clock);
    for (let i = 0; i < 4; i++) {
      presence.observe(A);
      await clock.advance(250);
    }
    presence.observe(B);
    await clock.advance(749);
    expect(presence.sweep()).toEqual([]);
    await clock.advance(1);
    const gone = presence.sweep();
    expect(types(gone)).toEqual(['gone:1']);
    expect(gone[0]!.tag.stable).toBe(true);
    await clock.advance(250);
    const goneB = presence.sweep();
    expect(types(goneB)).toEqual(['gone:2']);
    expect(goneB[0]!.tag.stable).toBe(false);
    expect(presence.present()).toEqual([]);
  });

  it('a tag back after it was gone is a new passage', async () => {
    const clock = new ManualClock();
    const presence = new PresenceDebouncer(clock, { stableReads: 2, stableMs: 100, goneMs: 500 });
    presence.observe(A);
    await clock.advance(100);
    expect(types(presence.observe(A))).toEqual(['stable:1']);
    await clock.advance(600);
    // No sweep in between: the read itself ends the old presence first.
    expect(types(presence.observe(A))).toEqual(['gone:1', 'seen:1']);
    await clock.advance(100);
    expect(types(presence.observe(A))).toEqual(['stable:1']);
  });

  it('tracks a bounded number of tags and counts the reads it had to ignore', () => {
    const clock = new ManualClock();
    const presence = new PresenceDebouncer(clock, { maxTags: 2 });
    presence.observe(A);
    presence.observe(B);
    expect(presence.observe('E004010000000003')).toEqual([]);
    expect(presence.overflow).toBe(1);
    expect(types(presence.clear())).toEqual(['gone:1', 'gone:2']);
  });
});
