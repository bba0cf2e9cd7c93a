import { CarrelError } from '../../core/errors.js';

export type SessionErrorCode =
  | 'session_not_found'
  | 'session_ended'
  | 'session_limit_reached'
  | 'pad_in_use'
  | 'scanner_in_use'
  | 'session_on_another_screen'
  | 'session_screen_away'
  | 'screen_required'
  | 'patron_scan_not_found'
  | 'pin_required'
  | 'patron_required'
  | 'patron_card_not_found'
  | 'patron_card_ambiguous'
  | 'no_receipt_printer'
  | 'item_outcome_unknown';

/** A session request that cannot be done as asked. The HTTP layer maps the code to a status. */
export class SessionError extends CarrelError {
  constructor(
    override readonly code: SessionErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
