import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';

/**
 * The kiosk page's dates, in the zone of the browser showing them: the page is plain JavaScript
 * in the browser, so it is imported here as it is served, with the process's zone set first
 * (its formatters take the zone they are made in).
 */
interface Words {
  formatDate(value: unknown): string | null;
}

async function wordsIn(timeZone: string): Promise<Words> {
  const was = process.env.TZ;
  process.env.TZ = timeZone;
  try {
    const url = pathToFileURL(join(packageRoot(), 'web', 'kiosk', 'words.js'));
    url.search = `?zone=${encodeURIComponent(timeZone)}`;
    return (await import(url.href)) as Words;
  } finally {
    if (was === undefined) delete process.env.TZ;
    else process.env.TZ = was;
  }
}

describe('the kiosk page’s due dates', () => {
  const zones = ['America/New_York', 'America/Los_Angeles', 'Europe/Berlin', 'Pacific/Auckland'];
  const words = new Map<string, Words>();
  const was = process.env.TZ;
  beforeAll(async () => {
    for (const zone of zones) words.set(zone, await wordsIn(zone));
  });
  afterAll(() => {
    if (was === undefined) delete process.env.TZ;
    else process.env.TZ = was;
  });

  it('shows a calendar day as that day in every zone: a receipt’s due day, an ILS date given as a day', () => {
    for (const zone of zones) {
      process.env.TZ = zone;
      const { formatDate } = words.get(zone)!;
      expect(formatDate('2026-03-12'), zone).toBe('12 Mar 2026');
      // The API gives a day alone as its UTC midnight (ilsDate), with the ILS's text beside it.
      expect(formatDate({ date: '2026-03-12T00:00:00.000Z', text: '2026-03-12' }), zone).toBe('12 Mar 2026');
      expect(formatDate({ date: '2026-03-12T00:00:00.000Z', text: '20260312' }), zone).toBe('12 Mar 2026');
    }
  });

  it('shows a due instant as the day it falls on where the kiosk is', () => {
    // 23:59:59 on 12 March in New York (UTC−4) is 03:59:59 on the 13th in UTC.
    const due = { date: '2026-03-13T03:59:59.000Z', text: '20260312    235959' };
    process.env.TZ = 'America/New_York';
    expect(words.get('America/New_York')!.formatDate(due)).toBe('12 Mar 2026');
    process.env.TZ = 'Pacific/Auckland';
    expect(words.get('Pacific/Auckland')!.formatDate(due)).toBe('13 Mar 2026');
  });
});

describe('"Renew my loans" refused for her account', () => {
  it('says the library system’s words once, else plainly what to do; other problems are not its to word', async () => {
    const { renewalsRefusedWords } = (await import(
      pathToFileURL(join(packageRoot(), 'web', 'kiosk', 'words.js')).href
    )) as { renewalsRefusedWords(problem: unknown): string | undefined };
    const refusal = { status: 409, code: 'patron_blocked', reason: 'patron_blocked' };
    expect(renewalsRefusedWords({ ...refusal, screenMessages: ['Card blocked, please see staff'] })).toBe(
      'Card blocked, please see staff',
    );
    expect(renewalsRefusedWords({ ...refusal, reason: 'renewal_not_allowed', screenMessages: [' '] })).toBe(
      'Your account cannot renew loans: please ask at the desk.',
    );
    expect(renewalsRefusedWords({ status: 409, code: 'session_ended' })).toBeUndefined();
    expect(renewalsRefusedWords({ status: 503, code: 'ils_offline', reason: 'ils_offline' })).toBeUndefined();
  });
});

describe('an item the kiosk refused itself', () => {
  it('says a barcode that could not be sent is for staff, not that the library system said no', async () => {
    const { itemWords } = (await import(
      pathToFileURL(join(packageRoot(), 'web', 'kiosk', 'words.js')).href
    )) as {
      itemWords(item: unknown, mode: string): { text: string; tone: string; action?: string };
    };
    const item = {
      item: '3100|AA21000001',
      state: 'refused',
      reason: 'barcode_not_sendable',
      screenMessages: [],
    };
    const words = itemWords(item, 'checkout');
    expect(words).toEqual({
      text: 'Refused: This barcode cannot be read here. Please take the item to staff.',
      tone: 'bad',
    });
  });
});
