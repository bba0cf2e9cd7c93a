import { describe, expect, it } from 'vitest';
import { formatSip2Date, parseSip2Date, processTimeZone } from '../../../src/protocols/sip2/index.js';

/** With no zone named, dates use the process's own zone through Date (no ICU): the same as naming that zone. */
describe('SIP2 dates in the process zone', () => {
  const zone = processTimeZone();
  const instants = [
    Date.UTC(2026, 0, 15, 12, 0, 0),
    Date.UTC(2026, 2, 29, 1, 30, 0),
    Date.UTC(2026, 9, 25, 0, 59, 59),
  ];

  it('formats like the named zone', () => {
    for (const ms of instants) {
      expect(formatSip2Date(new Date(ms))).toBe(formatSip2Date(new Date(ms), { timeZone: zone }));
    }
  });

  it('parses back to the same instant', () => {
    for (const ms of instants) {
      const parsed = parseSip2Date(formatSip2Date(new Date(ms)));
      expect(parsed).toEqual({ ok: true, date: new Date(ms), zone: 'local' });
    }
  });
});
