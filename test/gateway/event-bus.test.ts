import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src/gateway/event-bus.js';

describe('EventBus', () => {
  it('delivers to every listener and removes listeners by owner', () => {
    const bus = new EventBus();
    const a = {};
    const b = {};
    const seenA: string[] = [];
    const seenB: string[] = [];
    bus.on('gateway.state', a, (s) => seenA.push(s.status));
    bus.on('gateway.state', b, (s) => seenB.push(s.status));
    bus.emit('gateway.state', { status: 'starting' });
    bus.removeAllListenersOf(a);
    bus.emit('gateway.state', { status: 'ready' });
    expect(seenA).toEqual(['starting']);
    expect(seenB).toEqual(['starting', 'ready']);
    expect(bus.listenerCount()).toBe(1);
  });

  it('keeps delivering when a listener throws, and reports the error', () => {
    const onError = vi.fn();
    const bus = new EventBus(onError);
    const seen: string[] = [];
    bus.on('gateway.state', {}, () => {
      throw new Error('boom');
    });
    bus.on('gateway.state', {}, (s) => seen.push(s.status));
    bus.emit('gateway.state', { status: 'ready' });
    expect(seen).toEqual(['ready']);
    expect(onError).toHaveBeenCalledOnce();
  });

  it('delivers an event to the listeners there when it was emitted: one added or removed by a listener counts from the next', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const late = {};
    const gone = {};
    bus.on('gateway.state', {}, (s) => {
      seen.push(`first:${s.status}`);
      if (s.status === 'starting') {
        bus.on('gateway.state', late, (t) => seen.push(`late:${t.status}`));
        bus.removeAllListenersOf(gone);
      }
    });
    bus.on('gateway.state', gone, (s) => seen.push(`gone:${s.status}`));
    bus.emit('gateway.state', { status: 'starting' });
    bus.emit('gateway.state', { status: 'ready' });
    expect(seen).toEqual(['first:starting', 'gone:starting', 'first:ready', 'late:ready']);
  });

  it('runs edge listeners first, each group in the order added, and an edge listener hears an event before what a gateway listener emits in answer', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const totals = {};
    bus.on('gateway.state', totals, (s) => {
      seen.push(`totals:${s.status}`);
      if (s.status === 'starting') bus.emit('gateway.state', { status: 'ready' });
    });
    bus.on('gateway.state', {}, (s) => seen.push(`socket:${s.status}`), { edge: true });
    bus.on('gateway.state', {}, (s) => seen.push(`stats:${s.status}`));
    bus.on('gateway.state', {}, (s) => seen.push(`mqtt:${s.status}`), { edge: true });
    bus.emit('gateway.state', { status: 'starting' });
    expect(seen).toEqual([
      'socket:starting',
      'mqtt:starting',
      'totals:starting',
      'socket:ready',
      'mqtt:ready',
      'totals:ready',
      'stats:ready',
      'stats:starting',
    ]);
    bus.removeAllListenersOf(totals);
    seen.length = 0;
    bus.emit('gateway.state', { status: 'stopping' });
    expect(seen).toEqual(['socket:stopping', 'mqtt:stopping', 'stats:stopping']);
  });
});
