import { describe, expect, it } from 'vitest';
import {
  MEASURE_PERIODS,
  type MeasureRow,
  type MeasureSource,
  measureReport,
  measureRows,
} from '../../../src/gateway/statistics/measures.js';

const HOUR_MS = 3_600_000;
const quarterOf = (iso: string) => Date.parse(iso) / (HOUR_MS / 4);

function source(rows: MeasureRow[]): MeasureSource {
  return {
    measures: [
      { name: 'gate.visitors_in', summary: '', unit: 'count', dimensions: ['gate'] },
      { name: 'print.income', summary: '', unit: 'minor', dimensions: ['queue', 'currency'] },
    ],
    rows: () => rows,
  };
}

const visitors = (iso: string, gate: string, value: number): MeasureRow => ({
  quarter: quarterOf(iso),
  measure: 'gate.visitors_in',
  dims: { gate },
  value,
});

describe('measureReport', () => {
  const rows = [
    visitors('2026-03-28T22:00:00Z', 'exit-1', 3), // Sat 23:00 in Berlin (CET)
    visitors('2026-03-28T23:00:00Z', 'exit-1', 4), // Sun 00:00 in Berlin
    visitors('2026-03-29T01:00:00Z', 'exit-2', 5), // Sun 03:00 CEST: the clocks went forward at 02:00
    visitors('2026-03-30T08:00:00Z', 'exit-1', 7), // Mon 10:00 CEST
  ];
  const all = { from: Date.parse('2026-03-28T00:00:00Z'), to: Date.parse('2026-04-01T00:00:00Z') };

  it('cuts days in the library’s time zone, across a change of summer time', () => {
    const report = measureReport([source(rows)], { ...all, period: 'day', timeZone: 'Europe/Berlin' });
    expect(report.rows).toEqual([
      { measure: 'gate.visitors_in', period: '2026-03-28', dims: {}, value: 3 },
      { measure: 'gate.visitors_in', period: '2026-03-29', dims: {}, value: 9 },
      { measure: 'gate.visitors_in', period: '2026-03-30', dims: {}, value: 7 },
    ]);
    const utc = measureReport([source(rows)], { ...all, period: 'day', timeZone: 'UTC' });
    expect(utc.rows.map((r) => [r.period, r.value])).toEqual([
      ['2026-03-28', 7],
      ['2026-03-29', 5],
      ['2026-03-30', 7],
    ]);
  });

  it('gives the hour of the week (ISO weekday 1–7 and local hour) for the busy-desk heatmap', () => {
    const report = measureReport([source(rows)], {
      ...all,
      period: 'weekday-hour',
      timeZone: 'Europe/Berlin',
    });
    expect(report.rows.map((r) => [r.period, r.value])).toEqual([
      ['1-10', 7],
      ['6-23', 3],
      ['7-0', 4],
      ['7-3', 5],
    ]);
  });

  it('cuts periods in the desk’s own zone by Date’s local time, as Intl cuts them in that zone by name', () => {
    const was = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    try {
      for (const period of MEASURE_PERIODS) {
        const own = measureReport([source(rows)], { ...all, period, groupBy: ['gate'] });
        const named = measureReport([source(rows)], {
          ...all,
          period,
          groupBy: ['gate'],
          timeZone: 'Europe/Berlin',
        });
        expect(own.rows, period).toEqual(named.rows);
        expect(own.timeZone).toBe('Europe/Berlin');
        // The rows alone (the desk totals' read) are the same rows, in no particular order.
        const unordered = measureRows([source(rows)], { ...all, period, groupBy: ['gate'] }).rows;
        expect(new Set(unordered.map((row) => JSON.stringify(row)))).toEqual(
          new Set(named.rows.map((row) => JSON.stringify(row))),
        );
      }
    } finally {
      if (was === undefined) delete process.env.TZ;
      else process.env.TZ = was;
    }
  });

  it('starts weeks on Monday and months on the first, locally', () => {
    const weeks = measureReport([source(rows)], { ...all, period: 'week', timeZone: 'Europe/Berlin' });
    expect(weeks.rows.map((r) => [r.period, r.value])).toEqual([
      ['2026-03-23', 12],
      ['2026-03-30', 7],
    ]);
    const months = measureReport([source(rows)], { ...all, period: 'month', timeZone: 'America/New_York' });
    expect(months.rows.map((r) => [r.period, r.value])).toEqual([['2026-03', 19]]);
  });

  it('keeps the dimensions asked for apart, filters by others, and sums the rest', () => {
    const byGate = measureReport([source(rows)], { ...all, period: 'total', groupBy: ['gate'] });
    expect(byGate.rows).toEqual([
      { measure: 'gate.visitors_in', dims: { gate: 'exit-1' }, value: 14 },
      { measure: 'gate.visitors_in', dims: { gate: 'exit-2' }, value: 5 },
    ]);
    const one = measureReport([source(rows)], { ...all, period: 'total', where: { gate: 'exit-2' } });
    expect(one.rows).toEqual([{ measure: 'gate.visitors_in', dims: {}, value: 5 }]);
  });

  it('never adds money of different currencies together', () => {
    const money: MeasureRow[] = [
      {
        quarter: quarterOf('2026-03-30T08:00:00Z'),
        measure: 'print.income',
        dims: { queue: 'a', currency: 'EUR' },
        value: 20,
      },
      {
        quarter: quarterOf('2026-03-30T09:00:00Z'),
        measure: 'print.income',
        dims: { queue: 'b', currency: 'EUR' },
        value: 30,
      },
      {
        quarter: quarterOf('2026-03-30T09:00:00Z'),
        measure: 'print.income',
        dims: { queue: 'a', currency: 'SEK' },
        value: 500,
      },
    ];
    const report = measureReport([source(money)], { ...all, period: 'total' });
    expect(report.rows).toEqual([
      { measure: 'print.income', dims: { currency: 'EUR' }, value: 50 },
      { measure: 'print.income', dims: { currency: 'SEK' }, value: 500 },
    ]);
  });

  it('counts only the hours in range, and only the measures asked for', () => {
    const report = measureReport([source(rows)], {
      from: Date.parse('2026-03-29T00:30:00Z'),
      to: Date.parse('2026-03-30T00:00:00Z'),
      period: 'total',
      measures: ['gate.visitors_in'],
    });
    expect(report.from).toBe('2026-03-29T00:00:00.000Z');
    // In a zone a half hour off UTC, to whole quarter hours: 00:30 is local midnight in India.
    const india = measureReport([source(rows)], {
      from: Date.parse('2026-03-29T00:40:00Z'),
      to: Date.parse('2026-03-30T00:00:00Z'),
      period: 'total',
      timeZone: 'Asia/Kolkata',
    });
    expect(india.from).toBe('2026-03-29T00:30:00.000Z');
    expect(report.rows).toEqual([{ measure: 'gate.visitors_in', dims: {}, value: 5 }]);
    expect(
      measureReport([source(rows)], { ...all, period: 'total', measures: ['print.income'] }).rows,
    ).toEqual([]);
  });

  it('refuses a measure it does not keep, an empty or inverted range and one over 366 days', () => {
    expect(() => measureReport([source(rows)], { ...all, period: 'day', measures: ['gate.nope'] })).toThrow(
      /no measure "gate.nope"/,
    );
    expect(() => measureReport([source(rows)], { from: all.to, to: all.from, period: 'day' })).toThrow(
      /after/,
    );
    expect(() => measureReport([source(rows)], { from: 0, to: 367 * 24 * HOUR_MS, period: 'day' })).toThrow(
      /366 days/,
    );
    expect(() => measureReport([source(rows)], { from: Number.NaN, to: 1, period: 'day' })).toThrow(/valid/);
  });
});
