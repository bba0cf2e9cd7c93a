import { z } from 'zod';
import { DEFAULT_HUNG_AFTER_MISSED_REPLIES, DEFAULT_RFID_TIMEOUTS } from '../../../devices/rfid/defaults.js';
import { deviceIdSchema, transportSchema } from '../../config/transport.js';

const afiByte = z.number().int().min(0).max(255);

export const rfidReaderSchema = z
  .strictObject({
    id: deviceIdSchema,
    kind: z.literal('rfid-reader'),
    name: z.string().optional(),
    /** FEIG advanced host protocol (serial 38400 8E1 or TCP 10001), or the 3M 810 pad protocol (serial 19200 8N1). */
    protocol: z.enum(['feig', '3m']),
    transport: transportSchema,
    /** Pause between inventory rounds. */
    inventoryIntervalMs: z.number().int().min(20).max(10_000).default(200),
    /** A tag missing from this many rounds in a row has left the pad. */
    leaveAfterMissedRounds: z.number().int().min(1).max(50).default(3),
    /** An inventory the reader has not answered within this long is a missed reply (raise it for long-range readers). */
    inventoryTimeoutMs: z.number().int().min(100).max(10_000).default(DEFAULT_RFID_TIMEOUTS.inventory),
    /** This many reader commands in a row without a reply mean the reader is hung: shown offline and reconnected. */
    hungAfterMissedReplies: z.number().int().min(1).max(20).default(DEFAULT_HUNG_AFTER_MISSED_REPLIES),
    security: z
      .strictObject({
        /** How the library's gates see security: the AFI (ISO 28560), NXP EAS, or both. */
        method: z.enum(['afi', 'eas', 'afi+eas']).default('afi'),
        /** AFI of an item in the library (gates alarm): 0x07 by the standard. */
        securedAfi: afiByte.default(0x07),
        /** AFI of an item on loan: 0xC2 by the standard; some sites use 0x21 or 0xD7/0xDA. */
        unsecuredAfi: afiByte.default(0xc2),
        /** Writes that failed (tag pulled away) are retried this often when the tag returns. */
        maxAttempts: z.number().int().min(1).max(50).default(5),
      })
      .prefault({}),
  })
  // The 3M 810 pad protocol has no EAS command: every write of such a pad's security would fail.
  .refine((reader) => reader.protocol !== '3m' || reader.security.method === 'afi', {
    message:
      'a 3M pad (protocol 3m) cannot read or set a tag’s EAS bit: it secures items by the AFI only (method: afi)',
    path: ['security', 'method'],
  });
export type RfidReaderConfig = z.infer<typeof rfidReaderSchema>;
