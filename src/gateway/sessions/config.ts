import { z } from 'zod';

/**
 * Self-check sessions: how long a kiosk may sit idle before its session ends,
 * whether a PIN is required, and what the end-of-session receipt says.
 */
export const sessionsSchema = z.strictObject({
  /** A session nobody touched (no request, no tag placed) for this long ends, with an end-session to the ILS. */
  inactivityTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
  /**
   * A session's screen whose live connection dropped (a network blip, Carrel restarted) keeps it this
   * long: another screen asking meanwhile is told it is in use, and takes it only after (or on
   * purpose, with force). The page reconnects within 5 s of a blip, again and again; a kiosk
   * browser that crashed and came back as a new screen waits out the rest.
   */
  screenGraceSeconds: z.number().int().min(0).max(600).default(30),
  /** Refuse a checkout session without the patron's PIN (a card alone is not enough). */
  requirePin: z.boolean().default(true),
  /**
   * The owner libraries (ISILs, e.g. `SE-RPL`: the library's own, a consortium's members) whose
   * items self-check sessions lend and take back. A tag naming another owner is not sent to the
   * library system (its barcode may be one of the library's own items) and is listed in the
   * session's `unreadableTags` as `rfid_other_library`. Tags naming no owner are taken. Empty:
   * every owner's tags are taken.
   */
  ownerLibraries: z
    .array(z.string().regex(/^[A-Za-z0-9:/-]{1,16}$/, 'not an ISIL (such as SE-RPL)'))
    .max(100)
    .default([]),
  /** Most sessions open at once, across every kiosk on this desk. */
  maxOpen: z.number().int().min(1).max(500).default(50),
  receipt: z
    .strictObject({
      /** The library's name at the top of the receipt; the site id when unset. */
      library: z.string().min(1).optional(),
      branch: z.string().min(1).optional(),
      /** Printed as a QR code (renew online). */
      url: z.url().optional(),
      /** The receipt printer used when a kiosk asks for a printed receipt and names none. */
      printer: z.string().min(1).optional(),
    })
    .prefault({}),
});

export type SessionsConfig = z.infer<typeof sessionsSchema>;
