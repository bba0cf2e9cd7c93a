/**
 * The young-generation trim's rule: a collection is asked for only when the event loop was quiet
 * since the last look and the young generation is grown; a busy loop is left to V8. The real
 * effect on a running daemon is in test/cli/young-generation-daemon.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  GROWN_YOUNG_BYTES,
  QUIET_BUSY_FRACTION,
  YoungGenerationTrim,
} from '../../src/core/young-generation.js';

function rig(busy: number[], young: number[]) {
  const clock = new ManualClock();
  const asked: unknown[] = [];
  const gc = ((options?: unknown) => {
    asked.push(options);
  }) as NodeJS.GCFunction;
  let look = 0;
  const trim = YoungGenerationTrim.start({
    clock,
    everyMs: 1000,
    gc,
    // Each look reads the loop's busy fraction first, then (when quiet) the young generation's size.
    busy: () => busy[look++] ?? 0,
    youngBytes: () => young[look - 1] ?? 0,
  });
  return { clock, asked, trim };
}

describe('YoungGenerationTrim', () => {
  it.skipIf(typeof globalThis.gc === 'function')(
    'does nothing where Node has no gc (started without --expose-gc, as these tests are)',
    () => {
      expect(YoungGenerationTrim.start({ clock: new ManualClock() })).toBeUndefined();
    },
  );

  it('asks for a scavenge, on the spot, each look the loop was quiet and the young generation grown', async () => {
    const grown = GROWN_YOUNG_BYTES + 1;
    const { clock, asked, trim } = rig([0.001, 0.01, 0.001], [grown, grown, grown]);
    await clock.advance(999);
    expect(asked).toEqual([]);
    await clock.advance(1);
    expect(asked).toEqual([{ type: 'minor', execution: 'sync' }]);
    await clock.advance(2000);
    expect(asked).toHaveLength(3);
    expect(trim?.collections).toBe(3);
  });

  it('leaves a busy event loop to V8, and a young generation at its resting size alone', async () => {
    const grown = GROWN_YOUNG_BYTES + 1;
    const { clock, asked } = rig(
      [QUIET_BUSY_FRACTION, 0.9, 0.001, 0.001, 0.001],
      [grown, grown, GROWN_YOUNG_BYTES, 1024 * 1024, grown],
    );
    await clock.advance(4000);
    expect(asked).toEqual([]);
    await clock.advance(1000);
    expect(asked).toHaveLength(1);
  });

  it('stops looking when stopped', async () => {
    const grown = GROWN_YOUNG_BYTES + 1;
    const { clock, asked, trim } = rig([0, 0, 0], [grown, grown, grown]);
    await clock.advance(1000);
    trim?.stop();
    await clock.advance(5000);
    expect(asked).toHaveLength(1);
  });
});
