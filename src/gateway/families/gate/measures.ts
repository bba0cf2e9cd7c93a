/**
 * The gates' journals as measures: people counted in and out (from the
 * 15-minute visitor counts) and alarms by reason, per gate and quarter hour.
 */
import type { DeviceEntry } from '../../family.js';
import { HOUR_QUARTERS, type MeasureRow, type MeasureSource, QUARTER_MS } from '../../statistics/measures.js';
import type { GatePort } from './port.js';

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
    *rows(fromQuarter, toQuarter, wanted, _keep, slot) {
      // The visitor counts per hour when the report tells only hours apart (fewer rows).
      const by = slot === HOUR_QUARTERS ? 'hour' : 'quarter';
      const from = fromQuarter * QUARTER_MS;
      const to = toQuarter * QUARTER_MS;
      for (const gate of gates()) {
        if (wanted.has('gate.visitors_in') || wanted.has('gate.visitors_out'))
          for (const counted of gate.port.visitorCounts(from, to, by)) {
            const quarter = Date.parse(counted[by] ?? '') / QUARTER_MS;
            const dims = { gate: gate.id };
            yield { quarter, measure: 'gate.visitors_in', dims, value: counted.in } satisfies MeasureRow;
            yield { quarter, measure: 'gate.visitors_out', dims, value: counted.out } satisfies MeasureRow;
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
              quarter: row.quarter,
              measure: 'gate.alarms',
              dims: { gate: gate.id, reason: row.reason },
              value: row.count,
            } satisfies MeasureRow;
        }
      }
    },
  };
}
