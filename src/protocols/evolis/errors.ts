import { PeerError } from '../../core/errors.js';

export type EvolisErrorCode =
  /** Bytes that are not a command: no ESC where one must start, a name that is not letters. */
  | 'evolis_garbage'
  /** A command or reply longer than the framer holds. */
  | 'evolis_too_long'
  /** A binary download whose header is not `panel;levels[;bytes]` or whose data does not end in CR. */
  | 'evolis_bad_download'
  /** A value that cannot go in a command (a separator in an argument, a panel of the wrong size). */
  | 'evolis_bad_argument'
  /** Track data outside the track's ISO 7811 character set, or too long. */
  | 'magstripe_bad_data'
  /** Bits read from a track that are not a well-formed ISO 7811 track (sentinel, parity, LRC). */
  | 'magstripe_unreadable';

/** Bytes from the peer that are not the Evolis protocol, or a value that cannot be put into it. */
export class EvolisProtocolError extends PeerError {
  constructor(code: EvolisErrorCode, message: string) {
    super(code, message);
  }
}
