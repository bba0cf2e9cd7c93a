/**
 * Typed errors and warnings of the SIP2 codec. Messages never quote field values:
 * they may hold patron ids or PINs. Positions are character offsets in the frame.
 */

import { CarrelError, PeerError } from '../../core/errors.js';
import type { Sip2VerbatimBody } from './verbatim.js';

export type Sip2EncodeErrorCode =
  | 'sip2_unknown_message'
  | 'sip2_missing_field'
  | 'sip2_invalid_value'
  | 'sip2_value_too_long'
  | 'sip2_delimiter_in_value'
  | 'sip2_fixed_width'
  | 'sip2_unencodable';

/** We were asked to send something SIP2 cannot carry: our bug or the caller's, never the peer's. */
export class Sip2EncodeError extends CarrelError {
  constructor(
    override readonly code: Sip2EncodeErrorCode,
    message: string,
    /** The readable field name concerned, if any. */
    readonly field?: string,
  ) {
    super(code, message);
  }
}

export type Sip2DecodeErrorCode =
  | 'sip2_empty_frame'
  | 'sip2_not_a_message'
  | 'sip2_unknown_message'
  | 'sip2_truncated'
  | 'sip2_checksum_mismatch';

/** The peer sent a frame we cannot read as a message. */
export class Sip2DecodeError extends PeerError {
  constructor(
    override readonly code: Sip2DecodeErrorCode,
    message: string,
    /** Character offset in the frame where the problem was found. */
    readonly position: number,
    /** For `sip2_not_a_message`: the plain-text line the server sent instead (may name a patron). */
    readonly text?: string,
  ) {
    super(code, message);
  }
}

export class Sip2FrameError extends PeerError {
  constructor(
    override readonly code: 'sip2_frame_too_large',
    message: string,
    /** How many bytes were dropped before the framer found the next terminator. */
    readonly droppedBytes: number,
  ) {
    super(code, message);
  }
}

export type Sip2WarningCode =
  | 'invalid_flag'
  | 'invalid_digits'
  | 'unknown_enum_value'
  | 'free_form_date'
  | 'summary_several'
  | 'missing_required_field'
  | 'repeated_field'
  | 'missing_delimiter'
  | 'delimiter_in_value'
  | 'empty_field_id'
  | 'checksum_mismatch'
  | 'checksum_over_characters'
  | 'checksum_missing'
  | 'invalid_sequence'
  | 'undecodable_bytes'
  | 'trailing_text';

export interface Sip2Warning {
  readonly code: Sip2WarningCode;
  readonly message: string;
  /** Character offset in the frame. */
  readonly position: number;
  /** The readable field name concerned, or the 2-letter id of an unknown field. */
  readonly field?: string;
}

export type Sip2DecodeResult<M> =
  | {
      ok: true;
      message: M;
      warnings: Sip2Warning[];
      /** Whether AY/AZ was there and right: 'absent' for 96/97 and for frames without error detection. */
      checksum: 'valid' | 'invalid' | 'absent';
      /** The frame's body, when encoding `message` again in the same charset writes exactly it. */
      verbatim?: Sip2VerbatimBody;
    }
  | { ok: false; error: Sip2DecodeError };
