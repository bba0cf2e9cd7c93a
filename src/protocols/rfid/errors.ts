/**
 * Typed errors, warnings and results of the RFID tag-data codecs. Messages never quote
 * tag values: a patron card's primary item identifier is a patron id.
 */

import { CarrelError, PeerError } from '../../core/errors.js';

export type RfidDecodeErrorCode =
  | 'rfid_empty'
  | 'rfid_truncated'
  | 'rfid_unknown_format'
  | 'rfid_malformed'
  | 'rfid_bad_compaction'
  | 'rfid_missing_primary_item_id'
  | 'rfid_repeated_primary_item_id'
  | 'rfid_not_iso_uii';

/** The tag holds bytes we cannot read as library data. Returned, never thrown, by the decoders. */
export class RfidDecodeError extends PeerError {
  constructor(
    override readonly code: RfidDecodeErrorCode,
    message: string,
    /** Byte offset in the (logical-order) memory where the problem was found. */
    readonly offset?: number,
  ) {
    super(code, message);
  }
}

export type RfidEncodeErrorCode =
  | 'rfid_invalid_value'
  | 'rfid_value_too_long'
  | 'rfid_unencodable'
  | 'rfid_memory_too_small';

/** We were asked to write something the data model cannot carry: the caller's problem, never the tag's. */
export class RfidEncodeError extends CarrelError {
  constructor(
    override readonly code: RfidEncodeErrorCode,
    message: string,
    /** The data element concerned, if any. */
    readonly field?: string,
  ) {
    super(code, message);
  }
}

export type RfidWarningCode =
  | 'crc_mismatch'
  | 'unknown_version'
  | 'usage_in_high_nibble'
  | 'non_ascii_text'
  | 'empty_primary_item_id'
  | 'long_item_id_missing'
  | 'extension_xor_mismatch'
  | 'extension_truncated'
  | 'extension_unterminated'
  | 'content_parameter_mismatch'
  | 'repeated_element'
  | 'unknown_element'
  | 'pad_truncated'
  | 'pad_not_blank'
  | 'invalid_utf8'
  | 'invalid_set_information'
  | 'not_iso_uii'
  | 'trailing_data';

export interface RfidWarning {
  readonly code: RfidWarningCode;
  readonly message: string;
  /** Byte offset in the (logical-order) memory, when it points somewhere. */
  readonly offset?: number;
}

/** The result of one format's decoder. */
export type RfidDecodeResult<F> =
  | { ok: true; fields: F; crc: 'valid' | 'invalid' | 'absent'; warnings: RfidWarning[] }
  | { ok: false; error: RfidDecodeError };

export function decodeFailure(
  code: RfidDecodeErrorCode,
  message: string,
  offset?: number,
): {
  ok: false;
  error: RfidDecodeError;
} {
  return { ok: false, error: new RfidDecodeError(code, message, offset) };
}
