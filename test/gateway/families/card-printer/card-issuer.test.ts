import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { encodePng } from '../../../../src/core/png.js';
import type { CardPrinterDriver } from '../../../../src/devices/card-printer/types.js';
import { CardIssuer } from '../../../../src/gateway/families/card-printer/card-issuer.js';
import type { CardTemplates } from '../../../../src/gateway/families/card-printer/card-templates.js';
import { cardPrinterSchema } from '../../../../src/gateway/families/card-printer/config.js';
import { CardIssueRecords } from '../../../../src/gateway/families/card-printer/issue-records.js';
import { openDatabase } from '../../../../src/gateway/storage/index.js';
import { CARD_HEIGHT, CARD_WIDTH } from '../../../../src/protocols/evolis/index.js';

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

describe('uploaded photos', () => {
  /** An issuer whose template records the photo each render gets; previews print nothing. */
  function photoDesk(clock: ManualClock) {
    const rendered: Array<Buffer | undefined> = [];
    const card = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4);
    const issuer = new CardIssuer({
      config: cardPrinterSchema.parse({
        id: 'cards-1',
        kind: 'card-printer',
        transport: { type: 'tcp', host: '127.0.0.1', port: 9100 },
      }),
      templates: {
        render: async (_template: string, _fields: unknown, _symbology: unknown, photo?: Buffer) => {
          rendered.push(photo);
          return { front: card, back: undefined };
        },
      } as unknown as CardTemplates,
      records: new CardIssueRecords(openDatabase(':memory:'), 'cards-1'),
      printer: () => ({ printedImage: (image: Uint8Array) => image }) as unknown as CardPrinterDriver,
      lookUpPatron: async () => ({ name: 'Zoë Åström', expiry: null }),
      clock,
      logger: silentLogger(),
      emit: () => {},
    });
    return { issuer, rendered };
  }
  const photo = () => encodePng(new Uint8Array(4 * 4 * 4).fill(200), 4, 4);

  it('are let go 30 minutes after the upload, as the API says, with no other upload to sweep them, and overwritten', async () => {
    const clock = new ManualClock(Date.parse('2026-12-04T10:00:00Z'));
    const { issuer, rendered } = photoDesk(clock);
    const upload = photo();
    const original = Buffer.from(upload);
    const { photoId } = await issuer.addPhoto(upload);
    const preview = () => issuer.preview({ patron: '21000001', number: 'allocate', photoId }, 'front');

    clock.advance(29 * 60_000);
    await preview();
    expect(rendered.at(-1)).toEqual(original);
    // NTP steps the wall clock an hour back: the photo's 30 minutes are not stretched by it.
    clock.stepWallClock(-3_600_000);
    clock.advance(60_001);
    await expect(preview()).rejects.toMatchObject({ code: 'photo_not_found' });
    // Not only out of reach: the patron's picture is no longer in the daemon's memory.
    expect(upload.every((byte) => byte === 0)).toBe(true);
    expect(clock.pending()).not.toContain('card-photo-expiry');
  });

  it('keep the newest 16; one pushed out is let go and its timer with it', async () => {
    const clock = new ManualClock(Date.parse('2026-12-04T10:00:00Z'));
    const { issuer } = photoDesk(clock);
    const uploads = Array.from({ length: 17 }, photo);
    for (const upload of uploads) await issuer.addPhoto(upload);
    expect(uploads[0]!.every((byte) => byte === 0)).toBe(true);
    expect(uploads[1]!.some((byte) => byte !== 0)).toBe(true);
    expect(clock.pending().filter((name) => name === 'card-photo-expiry')).toHaveLength(16);
    issuer.stop();
    expect(clock.pending()).toEqual([]);
    expect(uploads.every((upload) => upload.every((byte) => byte === 0))).toBe(true);
  });
});
