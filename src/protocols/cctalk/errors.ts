import { PeerError } from '../../core/errors.js';

export type CctalkErrorCode =
  /** Fewer bytes than a frame needs. */
  | 'cctalk_truncated'
  /** The bytes do not sum to 0 mod 256. */
  | 'cctalk_checksum'
  /** Bytes skipped while looking for a frame (line noise). */
  | 'cctalk_garbage'
  /** The data length byte does not match the bytes that follow. */
  | 'cctalk_bad_length'
  /** A value that cannot go in a frame (an address or header over 255, data over 255 bytes). */
  | 'cctalk_bad_argument'
  /** A reply whose data is not what the command answers with. */
  | 'cctalk_bad_reply';

/** Bytes that are not a well-formed ccTalk frame, or a reply that is not what its command answers. */
export class CctalkFrameError extends PeerError {
  constructor(code: CctalkErrorCode, message: string) {
    super(code, message);
  }
}
