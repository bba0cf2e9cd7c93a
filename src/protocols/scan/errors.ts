import { PeerError } from '../../core/errors.js';

export type ScanErrorCode =
  /** More bytes than a scan may have before its terminator (a 10 kB "barcode", a stuck line). */
  | 'scan_too_long'
  /** Bytes with no terminator before the line went quiet, or before the reader was lost. */
  | 'scan_unterminated'
  /** Bytes that ended with another terminator than the configured one (the scanner is set up otherwise). */
  | 'scan_wrong_terminator'
  /** A scan that is not UTF-8. */
  | 'scan_invalid_utf8'
  /** A scan holding control characters other than the GS1 group separator. */
  | 'scan_control_character'
  /** A terminator with nothing before it (after the prefix and suffix are taken off). */
  | 'scan_empty'
  /** The configured prefix or suffix is not where it should be. */
  | 'scan_affix_missing'
  /** `]` not followed by a symbology code and a modifier. */
  | 'scan_bad_symbology'
  /** A key the keymap has no character for, inside a scan burst. */
  | 'keymap_unmapped_key'
  /** Bytes that are not whole 24-byte input_event records. */
  | 'evdev_bad_record'
  /** A HID POS report that does not fit its layout (wrong id, length beyond the data area). */
  | 'hidpos_bad_report'
  /** A multi-report code whose next part never came, or came from another code. */
  | 'hidpos_incomplete'
  /** Track data without its sentinels, or a track 2 without a card number. */
  | 'magstripe_bad_track'
  /** A card answer to GET DATA that is an error status or no UID. */
  | 'card_uid_unreadable'
  /** The reader gives no number for this card: a contact chip card, or a contactless type it does not know. */
  | 'card_type_unsupported';

/** Bytes from a scanner or card reader that are not a whole, clean identification. */
export class ScanError extends PeerError {
  constructor(
    override readonly code: ScanErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
