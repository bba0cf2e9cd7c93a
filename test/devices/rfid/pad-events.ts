import type { RfidPadDevice } from '../../../src/devices/rfid/index.js';

export interface PadEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Records a pad's events and lets a test await one. */
export function recordEvents(pad: RfidPadDevice): {
  events: PadEvent[];
  waitFor(
    type: string,
    match?: (data: Record<string, unknown>) => boolean,
    count?: number,
  ): Promise<PadEvent[]>;
} {
  const events: PadEvent[] = [];
  const waiters: Array<() => void> = [];
  pad.on('event', (type, data) => {
    events.push({ type, data });
    for (const waiter of [...waiters]) waiter();
  });
  return {
    events,
    waitFor(type, match = () => true, count = 1) {
      return new Promise((resolve) => {
        const check = () => {
          const found = events.filter((e) => e.type === type && match(e.data));
          if (found.length >= count) {
            waiters.splice(waiters.indexOf(check), 1);
            resolve(found);
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}
