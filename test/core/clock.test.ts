import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';

describe('ManualClock', () => {
  it('fires timers in due order as time advances, repeating intervals', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout('b', () => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout('a', () => fired.push(`a@${clock.now()}`), 100);
    const tick = clock.setInterval('tick', () => fired.push(`tick@${clock.now()}`), 150);
    await clock.advance(320);
    tick.cancel();
    expect(fired).toEqual(['a@100', 'tick@150', 'b@200', 'tick@300']);
    expect(clock.pending()).toEqual([]);
  });

  it('sleep resolves after the time passes and rejects when aborted', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    const sleeping = clock.sleep(50).then(() => {
      woke = true;
    });
    await clock.advance(49);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);

    const controller = new AbortController();
    const aborted = clock.sleep(1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(clock.pending()).toEqual([]);
  });
});
