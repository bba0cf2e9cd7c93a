import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../../src/core/png.js';
import { CardTemplates } from '../../../../src/gateway/families/card-printer/card-templates.js';
import { tempFolders } from '../../../helpers/temp-folders.js';

const fields = {
  name: 'Zoë <Åström> & co',
  expiry: '2027-12-03',
  cardNumber: '21234000123455',
  library: 'Riverside',
};

const tempFolder = tempFolders('carrel-card-templates-');

function folder(files: Record<string, string>): string {
  const dir = tempFolder();
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const svg = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="1016" height="648" viewBox="0 0 1016 648">${body}</svg>`;

describe('card templates', () => {
  it('renders the built-in card, both sides, 1016 × 648, with a name that holds markup characters', async () => {
    const card = await new CardTemplates().render('library-card', fields, 'codabar', undefined);
    expect(card.front.length).toBe(1016 * 648 * 4);
    expect(card.back?.length).toBe(1016 * 648 * 4);
  });

  it('puts the photo in, cropped to its frame', async () => {
    const red = new Uint8Array(100 * 400 * 4);
    for (let i = 0; i < red.length; i += 4) red.set([255, 0, 0, 255], i);
    const card = await new CardTemplates().render(
      'library-card',
      fields,
      'codabar',
      encodePng(red, 100, 400),
    );
    const at = (x: number, y: number) => [...card.front.subarray((y * 1016 + x) * 4, (y * 1016 + x) * 4 + 3)];
    expect(at(168, 320)).toEqual([255, 0, 0]); // the middle of the photo frame (48..288 × 170..470)
    expect(at(60, 180)).toEqual([255, 0, 0]); // sliced: a tall photo fills the frame's width
  });

  it('refuses a template naming a field Carrel does not fill, one without the card number, and broken SVG', async () => {
    const dir = folder({
      'extra-front.svg': svg('<text>{{cardNumber}} {{favouriteColour}}</text>'),
      'anonymous-front.svg': svg('<text>{{name}}</text>'),
      'broken-front.svg': '<svg xmlns="http://www.w3.org/2000/svg"><text>{{cardNumber}}</tex',
      'small-front.svg':
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text>{{cardNumber}}</text></svg>',
    });
    const templates = new CardTemplates({ directory: dir });
    expect(templates.list()).toEqual(['anonymous', 'broken', 'extra', 'library-card', 'small']);
    await expect(templates.render('extra', fields, 'codabar', undefined)).rejects.toMatchObject({
      code: 'template_missing_field',
      message: expect.stringContaining('favouriteColour'),
    });
    await expect(templates.render('anonymous', fields, 'codabar', undefined)).rejects.toMatchObject({
      code: 'template_missing_field',
    });
    await expect(templates.render('broken', fields, 'codabar', undefined)).rejects.toMatchObject({
      code: 'template_broken',
    });
    await expect(templates.render('small', fields, 'codabar', undefined)).rejects.toMatchObject({
      code: 'template_broken',
    });
    await expect(templates.render('none', fields, 'codabar', undefined)).rejects.toMatchObject({
      code: 'template_not_found',
    });
  });

  it('refuses a photo that is not an image or claims a picture too large to decode, before decoding it', async () => {
    const templates = new CardTemplates();
    await expect(
      templates.render('library-card', fields, 'codabar', Buffer.from('%PDF-1.7')),
    ).rejects.toMatchObject({
      code: 'photo_not_an_image',
    });
    const bomb = encodePng(new Uint8Array(4), 1, 1);
    bomb.writeUInt32BE(30_000, 16);
    bomb.writeUInt32BE(30_000, 20);
    await expect(templates.render('library-card', fields, 'codabar', bomb)).rejects.toMatchObject({
      code: 'photo_too_large',
    });
    await expect(
      templates.render('library-card', fields, 'codabar', Buffer.alloc(9 * 1024 * 1024)),
    ).rejects.toMatchObject({ code: 'photo_too_large' });
  });

  it('refuses a logo that is a picture of nothing, naming the logo setting rather than the camera', () => {
    const empty = encodePng(new Uint8Array(4), 1, 1);
    empty.writeUInt32BE(0, 16);
    expect(() => new CardTemplates({ logo: empty })).toThrow(
      expect.objectContaining({
        code: 'photo_unreadable',
        message:
          'the logo says it is 0 × 1, a picture of nothing: the file is damaged — give the card printer’s logo setting another PNG or JPEG',
      }),
    );
  });

  it('refuses a card number the barcode cannot carry', async () => {
    await expect(
      new CardTemplates().render('library-card', { ...fields, cardNumber: 'abc' }, 'codabar', undefined),
    ).rejects.toMatchObject({ code: 'card_number_unprintable' });
  });
});
