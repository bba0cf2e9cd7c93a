/**
 * Card templates a library designs without code: an SVG per side (`<name>-front.svg`, and
 * `<name>-back.svg` when the card has a back), 1016 × 648 (the card at 300 dpi), with named fields —
 * `{{name}}`, `{{expiry}}`, `{{cardNumber}}`, `{{library}}` in text, `{{photo}}`, `{{barcode}}`,
 * `{{logo}}` as image hrefs. Rendered in Node by resvg (loaded on first use); the barcode is drawn by
 * bwip-js (Codabar or Code 39); a photo is placed, cropped and scaled, by the template's own
 * `<image preserveAspectRatio="xMidYMid slice">` after its header has been checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CarrelError } from '../../../core/errors.js';
import { loadNative } from '../../../core/native.js';
import { packageRoot } from '../../../core/paths.js';
import { CARD_HEIGHT, CARD_WIDTH } from '../../../protocols/evolis/index.js';
import { readImageHeader } from '../../../protocols/image/header.js';
import type { CardSymbology } from '../../../protocols/library-card/card-number.js';

export const TEXT_FIELDS = ['name', 'expiry', 'cardNumber', 'library'] as const;
export const IMAGE_FIELDS = ['photo', 'barcode', 'logo'] as const;
const KNOWN = new Set<string>([...TEXT_FIELDS, ...IMAGE_FIELDS]);

/** Limits on an uploaded photo, checked from its header before it is decoded. */
export const PHOTO_LIMITS = { maxBytes: 8 * 1024 * 1024, maxSide: 8000, maxPixels: 24_000_000 };

export interface CardFields {
  name: string;
  expiry: string;
  cardNumber: string;
  library: string;
}

export interface RenderedCard {
  /** RGBA, 1016 × 648 each. */
  front: Uint8Array;
  back: Uint8Array | undefined;
}

interface Template {
  front: string;
  back: string | undefined;
}

type ResvgModule = typeof import('@resvg/resvg-js');

export interface CardTemplatesOptions {
  /** A folder of templates beside (and over) the built-in `library-card`. */
  directory?: string | undefined;
  /** PNG or JPEG placed where a template says `{{logo}}`. */
  logo?: Buffer | undefined;
  /** Font folders for the templates' text (system fonts are used besides). */
  fontDirs?: string[] | undefined;
}

export class CardTemplates {
  private readonly templates = new Map<string, Template>();
  private readonly logoUri: string;

  constructor(private readonly options: CardTemplatesOptions = {}) {
    for (const dir of [path.join(packageRoot(), 'templates', 'cards'), options.directory]) {
      if (!dir) continue;
      for (const file of readdirSync(dir)) {
        const match = /^(.+)-front\.svg$/.exec(file);
        if (!match) continue;
        const back = path.join(dir, `${match[1]}-back.svg`);
        this.templates.set(match[1]!, {
          front: readFileSync(path.join(dir, file), 'utf8'),
          back: readdirSync(dir).includes(`${match[1]}-back.svg`) ? readFileSync(back, 'utf8') : undefined,
        });
      }
    }
    this.logoUri = options.logo ? imageUri(options.logo, 'logo') : BLANK_PIXEL;
  }

  list(): string[] {
    return [...this.templates.keys()].sort();
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Renders both sides; throws `template_not_found`, `template_missing_field`, `template_broken`, `photo_*`. */
  async render(
    name: string,
    fields: CardFields,
    symbology: CardSymbology,
    photo: Buffer | undefined,
  ): Promise<RenderedCard> {
    const template = this.templates.get(name);
    if (!template) throw new CarrelError('template_not_found', `no card template "${name}"`);
    const { Resvg } = await loadNative<ResvgModule>('@resvg/resvg-js', 'card templates');
    const images = {
      photo: photo ? imageUri(photo, 'photo') : BLANK_PIXEL,
      barcode: await barcodeUri(fields.cardNumber, symbology),
      logo: this.logoUri,
    };
    const side = (svg: string, which: string) => {
      checkFields(svg, name, which);
      const filled = fill(svg, fields, images);
      try {
        const rendered = new Resvg(filled, {
          fitTo: { mode: 'width', value: CARD_WIDTH },
          background: 'rgba(255, 255, 255, 1)',
          font: {
            loadSystemFonts: true,
            fontDirs: this.options.fontDirs ?? [],
            defaultFontFamily: 'DejaVu Sans',
          },
        }).render();
        if (rendered.width !== CARD_WIDTH || rendered.height !== CARD_HEIGHT)
          throw new CarrelError(
            'template_broken',
            `card template "${name}" (${which}) is ${rendered.width} × ${rendered.height}, not ${CARD_WIDTH} × ${CARD_HEIGHT}`,
          );
        return new Uint8Array(rendered.pixels);
      } catch (error) {
        if (error instanceof CarrelError) throw error;
        throw new CarrelError(
          'template_broken',
          `card template "${name}" (${which}) is not SVG resvg can read`,
        );
      }
    };
    return {
      front: side(template.front, 'front'),
      back: template.back ? side(template.back, 'back') : undefined,
    };
  }
}

/** Every `{{field}}` a side names must be a known field, and the front must carry the card number. */
function checkFields(svg: string, name: string, which: string): void {
  const named = [...svg.matchAll(/\{\{\s*([A-Za-z]+)\s*\}\}/g)].map((m) => m[1]!);
  const unknown = named.filter((field) => !KNOWN.has(field));
  if (unknown.length > 0)
    throw new CarrelError(
      'template_missing_field',
      `card template "${name}" (${which}) names fields Carrel does not fill: ${unknown.join(', ')}`,
    );
  if (which === 'front' && !named.includes('cardNumber') && !named.includes('barcode'))
    throw new CarrelError(
      'template_missing_field',
      `card template "${name}" has neither {{cardNumber}} nor {{barcode}} on its front`,
    );
}

function fill(
  svg: string,
  fields: CardFields,
  images: Record<(typeof IMAGE_FIELDS)[number], string>,
): string {
  return svg.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, field: string) => {
    if (field in images) return images[field as keyof typeof images];
    return escapeXml(String(fields[field as keyof CardFields] ?? ''));
  });
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!,
  );
}

/** A photo or logo as a data URI, once its header shows a PNG or JPEG of a size worth decoding. */
export function imageUri(bytes: Buffer, what: 'photo' | 'logo'): string {
  if (bytes.length > PHOTO_LIMITS.maxBytes)
    throw new CarrelError(
      'photo_too_large',
      `the ${what} is ${bytes.length} bytes, more than ${PHOTO_LIMITS.maxBytes}`,
    );
  const header = readImageHeader(bytes);
  if (!header) throw new CarrelError('photo_not_an_image', `the ${what} is not a PNG or JPEG image`);
  const { width, height } = header;
  if (width === 0 || height === 0)
    throw new CarrelError(
      'photo_unreadable',
      `the ${what} says it is ${width} × ${height}, a picture of nothing: ${what === 'photo' ? CUT_SHORT_ADVICE : 'the file is damaged — give the card printer’s logo setting another PNG or JPEG'}`,
    );
  if (
    width > PHOTO_LIMITS.maxSide ||
    height > PHOTO_LIMITS.maxSide ||
    width * height > PHOTO_LIMITS.maxPixels
  )
    throw new CarrelError(
      'photo_too_large',
      `the ${what} says it is ${width} × ${height}: at most ${PHOTO_LIMITS.maxSide} a side and ${PHOTO_LIMITS.maxPixels / 1e6} megapixels`,
    );
  return `data:image/${header.format};base64,${bytes.toString('base64')}`;
}

/** What staff do about a photo that cannot be read. */
const CUT_SHORT_ADVICE =
  'the file is damaged or cut short (an upload or a copy broken off?) — choose the photo again or take a new one with the camera';

/** The photo being decoded by `checkPhotoReadable`; the next waits for it. */
let photoDecoding: Promise<unknown> = Promise.resolve();

/**
 * Refuses a photo whose header is fine but whose picture cannot be decoded — cut short, its data
 * garbled: resvg leaves such an image out, and the card would print with an empty photo frame.
 * It is decoded once here, drawn small on a transparent canvas: nothing drawn, nothing decoded (a
 * picture wholly transparent is refused too: it would print nothing either).
 */
export async function checkPhotoReadable(bytes: Buffer): Promise<void> {
  const uri = imageUri(bytes, 'photo');
  const { renderAsync } = await loadNative<ResvgModule>('@resvg/resvg-js', 'card templates');
  const side = 16;
  const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><image href="${uri}" width="${side}" height="${side}" preserveAspectRatio="none"/></svg>`;
  // Off the event loop (a photo of 24 megapixels takes a second), one photo at a time: uploads from
  // every PC of the desk at once must not hold as many decoded pictures (96 MB each) at once.
  const decoded = photoDecoding.then(() =>
    renderAsync(probe, { background: 'rgba(0, 0, 0, 0)', font: { loadSystemFonts: false } }),
  );
  photoDecoding = decoded.catch(() => {});
  const { pixels } = await decoded;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha]! > 0) return;
  throw new CarrelError(
    'photo_unreadable',
    `the photo holds no picture that can be read: ${CUT_SHORT_ADVICE}`,
  );
}

async function barcodeUri(cardNumber: string, symbology: CardSymbology): Promise<string> {
  const bwip = (await import('bwip-js')).default;
  try {
    const svg =
      symbology === 'codabar'
        ? bwip.toSVG({ bcid: 'rationalizedCodabar', text: `A${cardNumber}B`, height: 12 })
        : bwip.toSVG({ bcid: 'code39', text: cardNumber, height: 12 });
    return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  } catch (error) {
    throw new CarrelError(
      'card_number_unprintable',
      `the card number cannot be drawn as ${symbology}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/** An empty image where a template's photo or logo has none. */
const BLANK_PIXEL = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>').toString('base64')}`;
