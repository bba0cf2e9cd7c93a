/**
 * The gates' journals as measures: people counted in and out (from the
 * 15-minute visitor counts) and alarms by reason, per gate and hour.
 */
import type { DeviceEntry } from '../../family.js';
import type { MeasureRow, MeasureSource } from '../../statistics/measures.js';
import type { GatePort } from './port.js';

const HOUR_MS = 3_600_000;
type Gate = Pick<DeviceEntry<GatePort>, 'id' | 'port'>;

export function gateMeasures(gates: () => readonly Gate[]): MeasureSource {
  return {
    measures: [
      {
        name: 'gate.visitors_in',
        summary: 'people the gates counted coming in',
        unit: 'count',
        dimensions: ['gate'],
      },
      {
        name: 'gate.visitors_out',
        summary: 'people the gates counted going out',
        unit: 'count',
        dimensions: ['gate'],
      },
      {
        name: 'gate.alarms',
        summary: 'security gate alarms, by why they alarmed (afi, eas, reported by the gate, ils)',
        unit: 'count',
        dimensions: ['gate', 'reason'],
      },
    ],
    *rows(fromHour, toHour, wanted) {
      const from = fromHour * HOUR_MS;
      const to = toHour * HOUR_MS;
      for (const gate of gates()) {
        if (wanted.has('gate.visitors_in') || wanted.has('gate.visitors_out'))
          for (const counted of gate.port.visitorCounts(from, to, 'hour')) {
            const hour = Date.parse(counted.hour ?? '') / HOUR_MS;
            const dims = { gate: gate.id };
            yield { hour, measure: 'gate.visitors_in', dims, value: counted.in } satisfies MeasureRow;
            yield { hour, measure: 'gate.visitors_out', dims, value: counted.out } satisfies MeasureRow;
          }
        if (wanted.has('gate.alarms')) {
          let counts: ReturnType<GatePort['alarmCounts']>;
          try {
            counts = gate.port.alarmCounts(from, to);
          } catch {
            continue; // No alarm history (the database is not open): nothing to count.
          }
          for (const row of counts)
            yield {
              hour: row.hour,
              measure: 'gate.alarms',
              dims: { gate: gate.id, reason: row.reason },
              value: row.count,
            } satisfies MeasureRow;
        }
      }
    },
  };
}
