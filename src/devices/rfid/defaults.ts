/**
 * The RFID drivers' defaults, alone in a module of their own: the config schema
 * (src/gateway/families/rfid-reader/config.ts) states them without loading the
 * drivers and their protocols, which a desk loads only when it has a pad.
 */

export interface RfidTimeouts {
  inventory: number;
  read: number;
  write: number;
  other: number;
}

/**
 * How long each kind of command may go unanswered. An inventory, which the pad
 * sends every round, is answered within a few hundred milliseconds even with a
 * stack of tags on the pad; its timeout bounds how fast a hung reader is seen
 * (see RfidPadOptions.hungAfterMissedReplies). Raise it for long-range readers.
 */
export const DEFAULT_RFID_TIMEOUTS: RfidTimeouts = { inventory: 750, read: 1500, write: 2000, other: 1000 };

/** Reader commands in a row without a reply after which the reader counts as hung. */
export const DEFAULT_HUNG_AFTER_MISSED_REPLIES = 2;
