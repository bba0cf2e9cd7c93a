import { z } from 'zod';
import { KEYMAP_NAMES } from '../../../protocols/scan/index.js';
import { deviceIdSchema, transportSchema } from '../../config/transport.js';

const pattern = z
  .string()
  .min(1)
  .max(200)
  .refine((source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a regular expression');

const affix = z.string().min(1).max(16);

export const scannerSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('scanner'),
  name: z.string().optional(),
  /**
   * `serial`: a scanner or magstripe reader that sends each code as a line (USB-CDC, RS-232, TCP);
   * `evdev`: a keyboard-wedge scanner read from its Linux input device.
   */
  driver: z.enum(['serial', 'evdev']),
  /** Serial scanners: where the lines come from. */
  transport: transportSchema.optional(),
  /** Keyboard-wedge scanners: the input device (/dev/input/by-id/…-event-kbd). */
  device: z.string().min(1).optional(),
  scan: z
    .strictObject({
      /** What ends a scan (serial): CR, LF, CR LF, tab or ETX. */
      terminator: z.enum(['cr', 'lf', 'crlf', 'tab', 'etx']).default('cr'),
      /** Characters the scanner is set to send before and after each code (taken off). */
      prefix: affix.optional(),
      suffix: affix.optional(),
      /** The scanner sends an AIM symbology identifier (]E0…) before each code. */
      aim: z.boolean().default(false),
      /** The longest code accepted; longer is refused whole. */
      maxLength: z.number().int().min(8).max(8192).default(512),
      /** A scan with no terminator after this long is refused. */
      quietMs: z.number().int().min(10).max(10_000).default(300),
      /** Track data (`;…=…?`) is read as a magstripe card's number. */
      magstripe: z.boolean().default(true),
    })
    .prefault({}),
  wedge: z
    .strictObject({
      /** The layout the scanner types in: its key codes are read with it. */
      keymap: z.enum(KEYMAP_NAMES as ['us', 'de']).default('us'),
      /** The key that ends a scan. */
      terminator: z.enum(['enter', 'tab']).default('enter'),
      /** Keys further apart than this are typing, not the scanner. */
      maxGapMs: z.number().int().min(1).max(500).default(30),
      /** A burst shorter than this is typing. */
      minLength: z.number().int().min(1).max(64).default(4),
    })
    .prefault({}),
  /** What an identification is: patron and item barcode patterns, and whose a card is. */
  classify: z
    .strictObject({
      /** A barcode matching one of these is a patron's (regular expressions; anchor them). */
      patron: z.array(pattern).default([]),
      /** A barcode matching one of these is an item's. */
      item: z.array(pattern).default([]),
      /** A card (magstripe, contactless): `patron` — its number is the patron's barcode; `mapped` — looked up in cardPatrons. */
      cards: z.enum(['patron', 'mapped']).default('patron'),
      /** Card number or UID → patron barcode, for `cards: mapped`. */
      cardPatrons: z.record(z.string().min(1), z.string().min(1)).default({}),
    })
    .prefault({}),
});
export type ScannerConfig = z.infer<typeof scannerSchema>;
