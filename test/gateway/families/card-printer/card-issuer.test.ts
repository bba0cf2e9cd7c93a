import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import type { CardPrinterDriver } from '../../../../src/devices/card-printer/types.js';
import { CardIssuer } from '../../../../src/gateway/families/card-printer/card-issuer.js';
import type { CardTemplates } from '../../../../src/gateway/families/card-printer/card-templates.js';
import { cardPrinterSchema } from '../../../../src/gateway/families/card-printer/config.js';
import { CardIssueRecords } from '../../../../src/gateway/families/card-printer/issue-records.js';
import { openDatabase } from '../../../../src/gateway/storage/index.js';

describe('card numbers the ILS already has', () => {
  it('refuses the issue after 50 in a row, printing nothing, rather than search the range on', async () => {
    const db = openDatabase(':memory:');
    const records = new CardIssueRecords(db, 'cards-1');
    let printed = 0;
    const asked: string[] = [];
    const issuer = new CardIssuer({
      config: cardPrinterSchema.parse({
        id: 'cards-1',
        kind: 'card-printer',
        transport: { type: 'tcp', host: '127.0.0.1', port: 9100 },
      }),
      templates: {} as CardTemplates,
      records,
      printer: () => {
        printed++;
        return {} as CardPrinterDriver;
      },
      lookUpPatron: async () => ({ name: 'Zoë Åström', expiry: null }),
      numberInUse: async (number) => {
        asked.push(number);
        return true;
      },
      clock: new ManualClock(Date.parse('2026-12-04T10:00:00Z')),
      logger: silentLogger(),
      emit: () => {},
    });
    await expect(
      issuer.issue({ patron: '21000001', number: 'allocate', staff: 'desk' }),
    ).rejects.toMatchObject({ code: 'card_numbers_in_use' });
    expect(asked).toHaveLength(50);
    expect(new Set(asked).size).toBe(50);
    expect(printed).toBe(0);
    expect(records.latest(10)).toEqual([]);
  });
});
