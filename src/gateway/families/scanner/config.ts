import { z } from 'zod';
import { KEYMAP_NAMES } from '../../../protocols/scan/keymap.js';
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
   * `evdev`: a keyboard-wedge scanner read from its Linux input device;
   * `pcsc`: a contactless (or contact) card reader through pcscd;
   * `hidpos`: a USB HID point-of-sale scanner (usage page 0x8C) through node-hid.
   */
  driver: z.enum(['serial', 'evdev', 'pcsc', 'hidpos']),
  /** HID POS scanners: the hidraw path, or the USB vendor and product ids; the report layout where the vendor differs. */
  hid: z
    .strictObject({
      path: z.string().min(1).optional(),
      vendorId: z.number().int().min(0).max(0xffff).optional(),
      productId: z.number().int().min(0).max(0xffff).optional(),
      /** How often the system's HID device list is read for the scanner coming and going (hot-plug). */
      pollMs: z.number().int().min(100).max(60_000).default(1000),
      /** The scanned-data report's layout (Access-IS/common by default: id 2, length at 1, AIM at 2, data at 5, 56 bytes, more-flag bit 0 of byte 63). */
      layout: z
        .strictObject({
          reportId: z.number().int().min(0).max(255).default(2),
          lengthAt: z.number().int().min(0).max(63).default(1),
          symbologyAt: z.number().int().min(0).max(63).nullable().default(2),
          dataAt: z.number().int().min(0).max(63).default(5),
          dataCapacity: z.number().int().min(1).max(63).default(56),
          moreAt: z.number().int().min(0).max(63).default(63),
          moreMask: z.number().int().min(1).max(255).default(1),
          size: z.number().int().min(2).max(64).default(64),
        })
        .prefault({}),
    })
    .prefault({}),
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
      /**
       * Serial: bytes further apart than this begin a new scan — a scanner sends each scan in one
       * burst, so line noise just before a scan is refused on its own and the scan read.
       */
      maxGapMs: z.number().int().min(5).max(10_000).default(100),
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
  /** Card readers (pcsc): which reader, and how a card's UID is written for the campus system. */
  card: z
    .strictObject({
      /** The reader: the first whose PC/SC name holds this text ("ACR122U"); any reader when absent. */
      reader: z.string().min(1).optional(),
      /** `hex` (04A224B2) or `decimal` (the UID bytes as one number). */
      format: z.enum(['hex', 'decimal']).default('hex'),
      /** `as-read` (UID0 first) or `reversed` (a little-endian number, as some campus systems store it). */
      byteOrder: z.enum(['as-read', 'reversed']).default('as-read'),
      hexCase: z.enum(['upper', 'lower']).default('upper'),
      /** Decimal UIDs left-padded with zeros to this many digits (0: none). */
      decimalDigits: z.number().int().min(0).max(30).default(0),
      /** APDUs (hex) sent after GET DATA for a campus-card application (SELECT, READ BINARY…). */
      script: z.array(z.string().regex(/^([0-9a-fA-F]{2}){4,261}$/, 'an APDU in hex')).default([]),
      /** The card's value: its UID, or the data of the script's last answer (text or hex). */
      value: z.enum(['uid', 'script-text', 'script-hex']).default('uid'),
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
