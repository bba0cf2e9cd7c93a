import { describe, expect, it } from 'vitest';
import { csvField, statisticsCsv } from '../../../src/gateway/statistics/csv.js';

describe('statisticsCsv', () => {
  it('writes a header of the grouped columns and one CRLF line per row', () => {
    const csv = statisticsCsv({
      from: '2026-03-10T00:00:00.000Z',
      to: '2026-03-11T00:00:00.000Z',
      groupBy: ['hour', 'terminal', 'reason'],
      rows: [
        { hour: '2026-03-10T09:00:00.000Z', terminal: 'kiosk-1', outcome: 'ok', offline: false, count: 2 },
        {
          hour: '2026-03-10T10:00:00.000Z',
          terminal: 'kiosk,"2"',
          outcome: 'refused',
          reason: 'patron_blocked',
          offline: true,
          count: 1,
        },
      ],
    });
    expect(csv).toBe(
      'hour,terminal,outcome,reason,offline,count\r\n' +
        '2026-03-10T09:00:00.000Z,kiosk-1,ok,,false,2\r\n' +
        '2026-03-10T10:00:00.000Z,"kiosk,""2""",refused,patron_blocked,true,1\r\n',
    );
  });

  it('writes only the header for an empty report', () => {
    expect(statisticsCsv({ from: '', to: '', groupBy: ['day'], rows: [] })).toBe(
      'day,outcome,offline,count\r\n',
    );
  });

  it('quotes fields with commas, quotes and line breaks only', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('')).toBe('');
  });
});
