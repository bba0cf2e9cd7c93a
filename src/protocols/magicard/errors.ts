import { PeerError } from '../../core/errors.js';

export type MagicardErrorCode =
  /** Bytes that start no job, command or reply (a guard run of the wrong length, no 0x01 after it). */
  | 'magicard_garbage'
  /** A header, command or reply longer than the parser holds. */
  | 'magicard_too_long'
  /** A job whose header, plane lengths or plane terminators are not the spool format. */
  | 'magicard_bad_job'
  /** A value that cannot go in a job (a comma in a command, a plane of the wrong size). */
  | 'magicard_bad_argument'
  /** A status reply that is not `0x01 STA,<key> value , 0x03` for the key asked. */
  | 'magicard_bad_reply';

/** Bytes from the peer that are not the Magicard protocol, or a value that cannot be put into it. */
export class MagicardProtocolError extends PeerError {
  constructor(code: MagicardErrorCode, message: string) {
    super(code, message);
  }
}
