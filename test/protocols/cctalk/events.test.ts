import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceCounter,
  billEvent,
  coinEvent,
  counterDistance,
  decodeEventBuffer,
  type EventBuffer,
  type EventResult,
  encodeEventBuffer,
  readEvents,
} from '../../../src/protocols/cctalk/index.js';

/** A device's buffer after these events (oldest first), counted from `counter` (0 = just reset). */
function bufferAfter(events: EventResult[], start = 0, history: EventResult[] = []): EventBuffer {
  const all = [...history, ...events];
  const results = all.slice(-5).reverse();
  while (results.length < 5) results.push({ a: 0, b: 0 });
  return { counter: advanceCounter(start, events.length), results };
}

const coin = (channel: number): EventResult => ({ a: channel, b: 1 });

describe('the event counter', () => {
  it('counts 1…255 and then 1, never 0 again', () => {
    expect(advanceCounter(0)).toBe(1);
    expect(advanceCounter(254)).toBe(255);
    expect(advanceCounter(255)).toBe(1);
    expect(advanceCounter(253, 4)).toBe(2);
    expect(counterDistance(255, 1)).toBe(1);
    expect(counterDistance(254, 2)).toBe(3);
    expect(counterDistance(0, 4)).toBe(4);
    expect(counterDistance(7, 7)).toBe(0);
  });

  it('gives the events since the last counter, oldest first', () => {
    const buffer = bufferAfter([coin(1), coin(2), coin(3)], 10, [coin(9), coin(9)]);
    expect(buffer.counter).toBe(13);
    expect(readEvents(10, buffer)).toEqual({
      kind: 'events',
      counter: 13,
      events: [coin(1), coin(2), coin(3)],
    });
    expect(readEvents(12, buffer)).toEqual({ kind: 'events', counter: 13, events: [coin(3)] });
    expect(readEvents(13, buffer)).toEqual({ kind: 'none', counter: 13 });
  });

  it('carries over the wrap from 255 to 1', () => {
    const buffer = bufferAfter([coin(4), coin(5), coin(6)], 254);
    expect(buffer.counter).toBe(2);
    expect(readEvents(254, buffer)).toMatchObject({ kind: 'events', events: [coin(4), coin(5), coin(6)] });
    expect(readEvents(255, buffer)).toMatchObject({ kind: 'events', events: [coin(5), coin(6)] });
    expect(readEvents(1, buffer)).toMatchObject({ kind: 'events', events: [coin(6)] });
  });

  it('a lost answer credits nothing twice: the next reading starts where the host last acted', () => {
    // The host acted on counter 20; the answer at 22 was lost; at 23 it reads 3 events, not 1, not 4.
    const lost = bufferAfter([coin(1), coin(2)], 20);
    const next = bufferAfter([coin(3)], lost.counter, [coin(1), coin(2)]);
    expect(readEvents(20, next)).toEqual({
      kind: 'events',
      counter: 23,
      events: [coin(1), coin(2), coin(3)],
    });
  });

  it('a reset (counter 0) is a reset, and counting starts again from it', () => {
    expect(readEvents(77, { counter: 0, results: bufferAfter([]).results })).toEqual({
      kind: 'reset',
      counter: 0,
    });
    expect(readEvents(0, bufferAfter([coin(2)]))).toEqual({ kind: 'events', counter: 1, events: [coin(2)] });
  });

  it('a counter at 0 with events in the buffer (255 → 0, not 1) is no reset: the events shown are a jump', () => {
    const wrappedToZero = { counter: 0, results: bufferAfter([coin(3), coin(6)], 253).results };
    expect(readEvents(254, wrappedToZero)).toEqual({
      kind: 'jump',
      counter: 0,
      missed: 0,
      visible: [coin(3), coin(6)],
    });
  });

  it('a device never seen before gives its starting point, not credits', () => {
    expect(readEvents(undefined, bufferAfter([coin(1), coin(2)], 40))).toEqual({
      kind: 'baseline',
      counter: 42,
    });
  });

  it('a jump (more than five, or a counter that misbehaves) credits nothing and says so', () => {
    const seven = bufferAfter([1, 2, 3, 4, 5, 6, 7].map(coin), 10);
    expect(readEvents(10, seven)).toEqual({
      kind: 'jump',
      counter: 17,
      missed: 2,
      visible: [3, 4, 5, 6, 7].map(coin),
    });
    // Backwards: a reset the host never saw, with three coins after it.
    const afterReset = bufferAfter([coin(1), coin(2), coin(3)]);
    expect(readEvents(50, afterReset)).toMatchObject({
      kind: 'jump',
      counter: 3,
      visible: [coin(1), coin(2), coin(3)],
    });
  });

  it('whatever the counters, a reading never yields more than five events nor an event twice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 600 }),
        fc.nat({ max: 7 }),
        (start, pollsApart, lost) => {
          // Events 1…n happen; the host polls after each, losing some answers; every event is read exactly once.
          let last: number | undefined = start;
          let counter = start;
          const history: EventResult[] = [];
          const read: number[] = [];
          for (let i = 1; i <= pollsApart; i++) {
            history.push({ a: (i % 16) + 1, b: i % 256 });
            counter = advanceCounter(counter);
            if (lost > 0 && i % (lost + 1) !== 0 && i % 5 !== 0) continue; // answer lost (never more than 4 in a row)
            const reading = readEvents(last, bufferAfter([], counter, history));
            if (reading.kind === 'events') read.push(...reading.events.map((e) => e.b));
            last = reading.counter;
          }
          const reading = readEvents(last, bufferAfter([], counter, history));
          if (reading.kind === 'events') read.push(...reading.events.map((e) => e.b));
          expect(read).toEqual(history.map((e) => e.b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodes and decodes the 11-byte event buffer, and refuses another length', () => {
    const buffer = bufferAfter([coin(3), { a: 0, b: 1 }], 5);
    expect(decodeEventBuffer(encodeEventBuffer(buffer))).toEqual(buffer);
    expect(() => decodeEventBuffer(new Uint8Array(10))).toThrow(/expected 11/);
  });
});

describe('event meanings', () => {
  it('reads coin credits and coin error codes, unknown codes included', () => {
    expect(coinEvent({ a: 3, b: 2 })).toEqual({ kind: 'credit', channel: 3, sorterPath: 2 });
    expect(coinEvent({ a: 0, b: 1 })).toMatchObject({
      kind: 'error',
      name: 'reject coin',
      severity: 'reject',
    });
    expect(coinEvent({ a: 0, b: 14 })).toMatchObject({ severity: 'fault', name: 'credit sensor blocked' });
    expect(coinEvent({ a: 0, b: 20 })).toMatchObject({ severity: 'fraud' });
    expect(coinEvent({ a: 0, b: 130 })).toMatchObject({
      severity: 'reject',
      name: 'inhibited coin (type 3)',
    });
    expect(coinEvent({ a: 0, b: 99 })).toEqual({
      kind: 'error',
      code: 99,
      name: 'unknown code 99',
      severity: 'unknown',
    });
  });

  it('reads bill credits, escrow and status codes', () => {
    expect(billEvent({ a: 2, b: 0 })).toEqual({ kind: 'credit', billType: 2 });
    expect(billEvent({ a: 2, b: 1 })).toEqual({ kind: 'escrow', billType: 2 });
    expect(billEvent({ a: 0, b: 11 })).toMatchObject({
      kind: 'status',
      name: 'stacker removed',
      severity: 'fault',
    });
    expect(billEvent({ a: 0, b: 9 })).toMatchObject({ severity: 'fraud' });
    expect(billEvent({ a: 0, b: 77 })).toMatchObject({ severity: 'unknown', code: 77 });
    expect(billEvent({ a: 4, b: 9 })).toMatchObject({ severity: 'unknown' });
  });
});
