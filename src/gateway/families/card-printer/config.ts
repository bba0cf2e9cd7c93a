import { z } from 'zod';
import { deviceIdSchema, transportSchema } from '../../config/transport.js';

export const cardNumberingSchema = z.strictObject({
  /** Codabar numbers are digits with the mod-10 check digit; Code 39 ones carry the mod-43 check character. */
  symbology: z.enum(['codabar', 'code39']).default('codabar'),
  /** What every number starts with: for the US 14-digit form, 2 (patron) and the 4-digit institution. */
  prefix: z
    .string()
    .regex(/^[0-9A-Z]{0,12}$/)
    .default('21234'),
  sequenceDigits: z.number().int().min(3).max(12).default(8),
  /** The range numbers are allocated from, in order, each once. */
  first: z.number().int().min(0).default(1),
  last: z.number().int().min(0).default(99_999_999),
});

export const cardPrinterSchema = z
  .strictObject({
    id: deviceIdSchema,
    kind: z.literal('card-printer'),
    name: z.string().optional(),
    /**
     * The printer's protocol: `evolis` (ESC commands; the stripe is read back) or `magicard` (spool
     * jobs and REQ,STA status; the stripe is written but cannot be read back, issues say `written`).
     */
    driver: z.enum(['evolis', 'magicard']).default('evolis'),
    transport: transportSchema,
    /** The ribbon loaded: `ymcko` (colour front, black back) or `k` (black both sides). */
    ribbon: z.enum(['ymcko', 'k']).default('ymcko'),
    statusIntervalMs: z.number().int().min(200).max(60_000).default(2000),
    /** A command unanswered this long (plus its bytes' time on the link) means the printer is gone. */
    replyTimeoutMs: z.number().int().min(500).max(120_000).default(15_000),
    ribbonLowPanels: z.number().int().min(0).max(10_000).default(50),
    /**
     * Magicard: a card not out this long after its job was sent has failed (the job is dropped). Both:
     * a link lost after the card was sent (Evolis: its eject) is waited for this long to come back
     * and say whether the card was made; not back, the outcome is unknown.
     */
    printTimeoutMs: z.number().int().min(1000).max(600_000).default(120_000),
    /** The library's name, for the templates' {{library}}. */
    library: z.string().max(80).default('Carrel Public Library'),
    /** A folder of card templates (`<name>-front.svg`, `<name>-back.svg`) beside the built-in `library-card`. */
    templates: z.string().optional(),
    /** PNG or JPEG for the templates' {{logo}}. */
    logo: z.string().optional(),
    defaultTemplate: z.string().default('library-card'),
    numbering: cardNumberingSchema.default(cardNumberingSchema.parse({})),
    /**
     * Write the card number on magstripe track 2 and read it back. Track 2 holds digits only: a
     * numbering prefix with letters needs `magstripe: false`.
     */
    magstripe: z.boolean().default(true),
    /** Patron cards with an RFID chip are encoded on this desk pad (ISO 28560, type of usage patron card). */
    rfid: z
      .strictObject({
        reader: deviceIdSchema,
        format: z.enum(['28560-3', '28560-2']).default('28560-3'),
        isil: z.string().max(16).optional(),
      })
      .optional(),
    /** Cards tried for one issue when a card fails its stripe check (each failed card goes to the reject box). */
    attempts: z.number().int().min(1).max(5).default(2),
    /**
     * An issue's patron, card number and chip UID are forgotten this many days after it finished
     * (staff may need them meanwhile: "my new card never worked"); the issue itself stays, counted
     * in the statistics.
     */
    patronDataDays: z.number().int().min(1).max(3650).default(90),
  })
  .refine((c) => c.numbering.last >= c.numbering.first, {
    path: ['numbering', 'last'],
    message: 'the range ends before it starts',
  })
  .refine((c) => String(c.numbering.last).length <= c.numbering.sequenceDigits, {
    path: ['numbering', 'last'],
    message: 'the range does not fit sequenceDigits',
  })
  .refine((c) => c.numbering.symbology !== 'codabar' || /^\d*$/.test(c.numbering.prefix), {
    path: ['numbering', 'prefix'],
    message:
      'a Codabar card number is digits only (its mod-10 check digit is reckoned over digits): use a digits-only prefix, or symbology: code39 for a prefix with letters',
  })
  // The stripe is track 2 (ISO 7811), which holds digits only: a number with a letter in it fails
  // its stripe, and the card goes to the reject box — every card with a new number, one after another.
  .refine((c) => !c.magstripe || c.numbering.symbology === 'codabar' || /^\d*$/.test(c.numbering.prefix), {
    path: ['numbering', 'prefix'],
    message:
      'a prefix with letters cannot go on the magnetic stripe (track 2 holds digits only): every card with a new number would fail its stripe and go to the reject box — use a digits-only prefix, or set magstripe: false to issue cards without a stripe',
  });
export type CardPrinterConfig = z.infer<typeof cardPrinterSchema>;
