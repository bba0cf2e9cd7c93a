import { PeerError } from '../../core/errors.js';

/** ISO 15693 response error codes (ISO/IEC 15693-3 table 7) and the custom range. */
export const ISO15693_ERROR_CODES: Readonly<Record<number, string>> = {
  1: 'command not supported',
  2: 'command not recognised',
  3: 'option not supported',
  15: 'unknown error',
  16: 'block not available',
  17: 'block already locked',
  18: 'block locked, content cannot change',
  19: 'block not successfully programmed',
  20: 'block not successfully locked',
};

export type Iso15693ErrorCode =
  | 'iso15693_bad_uid'
  | 'iso15693_truncated'
  | 'iso15693_crc'
  | 'iso15693_bad_argument'
  | 'iso15693_tag_error';

/** Malformed or refused ISO 15693 exchanges. `tagErrorCode` is set for an error response from the tag. */
export class Iso15693Error extends PeerError {
  constructor(
    code: Iso15693ErrorCode,
    message: string,
    readonly tagErrorCode?: number,
  ) {
    super(code, message);
  }
}

export function describeIso15693Error(code: number): string {
  return (
    ISO15693_ERROR_CODES[code] ?? (code >= 0xa0 && code <= 0xdf ? 'custom command error' : 'reserved error')
  );
}
