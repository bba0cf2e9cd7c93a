import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSip2Date, parseSip2Date, Sip2Codec } from '../../../src/protocols/sip2/index.js';

const instant = new Date(Date.UTC(2024, 2, 15, 14, 25, 30));

describe('SIP2 dates', () => {
  it('formats UTC with zone "   Z"', () => {
    expect(formatSip2Date(instant, { utc: true })).toBe('20240315   Z142530');
  });

  it.each([
    ['Europe/Amsterdam', '20240315    152530'],
    ['America/New_York', '20240315    102530'],
    ['Asia/Kolkata', '20240315    195530'],
    ['Australia/Lord_Howe', '20240316    012530'],
  ])('formats local time in %s', (timeZone, text) => {
    expect(formatSip2Date(instant, { timeZone })).toBe(text);
    expect(parseSip2Date(text, { timeZone })).toEqual({ ok: true, date: instant, zone: 'local' });
  });

  it('writes one instant in each zone asked, one after the other, and the next second as the next', () => {
    // In a row, as a desk writing many messages a second does: each its own zone and second.
    expect(formatSip2Date(instant, { utc: true })).toBe('20240315   Z142530');
    expect(formatSip2Date(instant, { timeZone: 'UTC' })).toBe('20240315    142530');
    expect(formatSip2Date(instant, { timeZone: 'Europe/Amsterdam' })).toBe('20240315    152530');
    expect(formatSip2Date(new Date(instant.getTime() + 999), { timeZone: 'Europe/Amsterdam' })).toBe(
      '20240315    152530',
    );
    expect(formatSip2Date(new Date(instant.getTime() + 1000), { timeZone: 'Europe/Amsterdam' })).toBe(
      '20240315    152531',
    );
    expect(formatSip2Date(instant, { timeZone: 'America/New_York' })).toBe('20240315    102530');
    expect(formatSip2Date(instant, { utc: true })).toBe('20240315   Z142530');
  });

  it('follows daylight saving time', () => {
    const summer = new Date(Date.UTC(2024, 6, 1, 12, 0, 0));
    expect(formatSip2Date(summer, { timeZone: 'Europe/Amsterdam' })).toBe('20240701    140000');
    expect(parseSip2Date('20240701    140000', { timeZone: 'Europe/Amsterdam' })).toMatchObject({
      date: summer,
    });
    // Just after the spring-forward gap: 03:30 local on 31 March is 01:30 UTC.
    expect(parseSip2Date('20240331    033000', { timeZone: 'Europe/Amsterdam' })).toMatchObject({
      date: new Date(Date.UTC(2024, 2, 31, 1, 30, 0)),
    });
  });

  it.each([
    // The hour skipped in spring is read as the clock that skipped it shows it (an hour later),
    // east and west of UTC alike; the hour repeated in autumn as its first pass (summer time).
    ['Europe/Berlin', '20260329    023000', '2026-03-29T01:30:00.000Z', '20260329    033000'],
    ['America/New_York', '20260308    023000', '2026-03-08T07:30:00.000Z', '20260308    033000'],
    ['Australia/Lord_Howe', '20261004    021500', '2026-10-03T15:45:00.000Z', '20261004    024500'],
    ['Europe/Berlin', '20261025    023000', '2026-10-25T00:30:00.000Z', '20261025    023000'],
    ['America/New_York', '20261101    013000', '2026-11-01T05:30:00.000Z', '20261101    013000'],
    // Just either side of the changes: one reading only.
    ['Europe/Berlin', '20261025    015959', '2026-10-24T23:59:59.000Z', '20261025    015959'],
    ['Europe/Berlin', '20261025    030000', '2026-10-25T02:00:00.000Z', '20261025    030000'],
    ['America/New_York', '20260308    015959', '2026-03-08T06:59:59.000Z', '20260308    015959'],
    ['America/New_York', '20261101    020000', '2026-11-01T07:00:00.000Z', '20261101    020000'],
  ])('reads local time at a clock change in %s as a local clock does: %s', (timeZone, text, iso, written) => {
    const named = parseSip2Date(text, { timeZone });
    expect(named).toMatchObject({ ok: true, date: new Date(iso) });
    expect(formatSip2Date(new Date(iso), { timeZone })).toBe(written);
    // In the process's own zone (TZ), the same; and as Date reads a local time.
    const was = process.env.TZ;
    process.env.TZ = timeZone;
    try {
      expect(parseSip2Date(text)).toMatchObject({ ok: true, date: new Date(iso) });
      const [y, mo, d, h, mi, se] = [0, 4, 6, 12, 14, 16].map((at, i) =>
        Number(text.slice(at, i === 0 ? 4 : at + 2)),
      );
      expect(new Date(y!, mo! - 1, d, h, mi, se).toISOString()).toBe(iso);
    } finally {
      if (was === undefined) delete process.env.TZ;
      else process.env.TZ = was;
    }
  });

  // SIP2 2.00 (the reference): ZZZZ is four blanks for local time, "   Z" for UTC; anything else in
  // it is not local time. 0000 is a zone's offset from UTC written as hours and minutes, zero: UTC,
  // the instant "   Z" names — never the desk's or the ILS's wall clock, hours off east or west.
  it.each([
    ['UTC', undefined],
    ['Europe/Amsterdam', 'Europe/Amsterdam'],
    ['America/New_York', 'America/New_York'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
  ])('reads a zone of 0000 as UTC, the instant "   Z" names, in %s', (_name, timeZone) => {
    const zulu = parseSip2Date('20240315   Z142530', { timeZone });
    const zeros = parseSip2Date('202403150000142530', { timeZone });
    expect(zeros).toEqual({ ok: true, date: instant, zone: 'utc' });
    expect(zeros).toEqual(zulu);
    // Written again it is the spec's UTC, "   Z", the same instant; or local time, read back alike.
    expect(formatSip2Date(instant, { utc: true })).toBe('20240315   Z142530');
    const local = formatSip2Date(instant, { timeZone });
    expect(parseSip2Date(local, { timeZone })).toMatchObject({ date: instant, zone: 'local' });
  });

  it('a codec reads a zone of 0000 as UTC, whatever its own zone', () => {
    const codec = new Sip2Codec({ timeZone: 'America/Chicago' });
    expect(codec.parseDate('202403150000142530')).toEqual({ ok: true, date: instant, zone: 'utc' });
  });

  it('reads UTC', () => {
    expect(parseSip2Date('20240315   Z142530')).toEqual({ ok: true, date: instant, zone: 'utc' });
  });

  // SIP2 2.00: a zone other than local time or UTC is its military letter in the last place of
  // ZZZZ — the spec's example is Q for Atlantic Standard Time, UTC−4. A–I and K–M are one to twelve
  // hours east of UTC, N–Y one to twelve west (FOLIO edge-sip2 reads and writes the same letters).
  // Each names one instant whatever zone the connection's local time is in.
  it.each([
    ['   A', '20240315   A152530', '+01:00'],
    ['   I', '20240315   I232530', '+09:00'],
    ['   K', '20240316   K002530', '+10:00'],
    ['   M', '20240316   M022530', '+12:00'],
    ['   N', '20240315   N132530', '-01:00'],
    ['   Q', '20240315   Q102530', '-04:00'],
    ['   R', '20240315   R092530', '-05:00'],
    ['   Y', '20240315   Y022530', '-12:00'],
  ])('reads the zone letter %s as its offset from UTC, not as local time', (_letter, text, zone) => {
    for (const timeZone of [undefined, 'UTC', 'Europe/Amsterdam', 'America/New_York', 'Asia/Kolkata']) {
      expect(parseSip2Date(text, { timeZone }), `${text} in ${timeZone}`).toEqual({
        ok: true,
        date: instant,
        zone,
      });
    }
  });

  it('reads J, the military letter for the observer’s local time, as local time', () => {
    expect(parseSip2Date('20240315   J102530', { timeZone: 'America/New_York' })).toEqual({
      ok: true,
      date: instant,
      zone: 'local',
    });
  });

  // Forms seen from servers that do not write the letter in the last place, or name UTC in words.
  it.each(['Z   ', '  Z ', '   z', ' UTC', 'UTC ', ' GMT', '  UT'])(
    'reads the zone "%s" as UTC',
    (zoneText) => {
      expect(parseSip2Date(`20240315${zoneText}142530`, { timeZone: 'Asia/Kolkata' })).toEqual({
        ok: true,
        date: instant,
        zone: 'utc',
      });
      expect(parseSip2Date('20240315   q102530', { timeZone: 'Asia/Kolkata' })).toEqual({
        ok: true,
        date: instant,
        zone: '-04:00',
      });
    },
  );

  // A zone SIP2 does not define and that names no sure instant (an abbreviation names different
  // zones in different countries: CST is Chicago's or Shanghai's; an unsigned offset may be east or
  // west) is refused in words rather than read as local time, hours off.
  it.each([' EST', ' CST', '0100', '-500', '  ZZ', 'A  Z', '   ?'])(
    'refuses the zone "%s" in words',
    (zoneText) => {
      const parsed = parseSip2Date(`20240315${zoneText}142530`, { timeZone: 'UTC' });
      expect(parsed).toEqual({ ok: false, warning: expect.stringContaining(`time zone "${zoneText}"`) });
      expect(parsed).toMatchObject({ warning: expect.stringContaining('for local time') });
    },
  );

  it.each([
    '2022-02-27',
    '20240315    1425',
    '20241315    142530',
    '20240230    142530',
    '20240315    246000',
  ])('gives a warning, not a throw, for %s', (text) => {
    expect(parseSip2Date(text, { timeZone: 'UTC' })).toMatchObject({
      ok: false,
      warning: expect.any(String),
    });
  });

  it('a codec writes and reads in its own zone', () => {
    const codec = new Sip2Codec({ timeZone: 'America/Chicago' });
    expect(codec.formatDate(instant)).toBe('20240315    092530');
    expect(codec.parseDate('20240315    092530')).toMatchObject({ date: instant });
    expect(() => new Sip2Codec({ timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });

  it('a codec takes a zone by an alias outside Intl’s canonical list, as a formatter does', () => {
    expect(Intl.supportedValuesOf('timeZone')).not.toContain('US/Central');
    const codec = new Sip2Codec({ timeZone: 'US/Central' });
    expect(codec.formatDate(instant)).toBe('20240315    092530');
    expect(() => new Sip2Codec({ timeZone: 'US/Olympus' })).toThrow(RangeError);
  });
});

/** A SIP2 date written straight from Intl, nothing cached: what formatSip2Date must give. */
function reference(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const zoneText = zone === 'UTC' ? '   Z' : '    ';
  return `${part('year').padStart(4, '0')}${part('month')}${part('day')}${zoneText}${part('hour')}${part('minute')}${part('second')}`;
}

describe('SIP2 dates written one after another', () => {
  // Around Amsterdam's and New York's 2026 clock changes, and Lord Howe's half-hour one.
  const around = [
    Date.UTC(2026, 2, 29, 1, 0, 0),
    Date.UTC(2026, 2, 8, 7, 0, 0),
    Date.UTC(2026, 3, 4, 15, 0, 0),
  ];
  const instant = fc
    .tuple(
      fc.constantFrom(...around),
      fc.integer({ min: -3000, max: 3000 }),
      fc.constantFrom(0, 1, 999, 1000, 1001),
    )
    .map(([base, seconds, ms]) => base + seconds * 1000 + ms);
  const call = fc.record({
    ms: instant,
    zone: fc.constantFrom(
      'Europe/Amsterdam',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'utc',
    ),
    repeat: fc.nat({ max: 2 }),
  });

  it('writes each as Intl does, whatever came before (zones, seconds, clock changes)', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 30 }), (calls) => {
        for (const { ms, zone, repeat } of calls) {
          const expected = zone === 'utc' ? reference(ms, 'UTC') : reference(ms, zone);
          for (let i = 0; i <= repeat; i++) {
            const written =
              zone === 'utc'
                ? formatSip2Date(new Date(ms), { utc: true })
                : formatSip2Date(new Date(ms), { timeZone: zone });
            expect(written, `${new Date(ms).toISOString()} ${zone}`).toBe(expected);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
