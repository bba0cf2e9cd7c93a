import { PeerError } from '../../core/errors.js';
import { describeIso15693Error } from '../iso15693/errors.js';

export type FeigFrameErrorCode =
  | 'feig_truncated'
  | 'feig_no_stx'
  | 'feig_bad_length'
  | 'feig_crc'
  | 'feig_garbage'
  | 'feig_frame_too_long'
  | 'feig_bad_argument'
  | 'feig_bad_reply'
  | 'feig_bad_notification';

/** Bytes that are not a well-formed FEIG frame or reply. */
export class FeigFrameError extends PeerError {
  constructor(code: FeigFrameErrorCode, message: string) {
    super(code, message);
  }
}

/** Reader status bytes (FEIG ID ISC host protocol). */
export const FEIG_STATUS = {
  ok: 0x00,
  noTransponder: 0x01,
  dataFalse: 0x02,
  writeError: 0x03,
  addressError: 0x04,
  wrongTransponderType: 0x05,
  eepromFailure: 0x10,
  parameterRange: 0x11,
  loginRequest: 0x13,
  loginError: 0x14,
  readProtect: 0x15,
  writeProtect: 0x16,
  unknownCommand: 0x80,
  lengthError: 0x81,
  commandNotAvailable: 0x82,
  rfCommunicationError: 0x83,
  rfWarning: 0x84,
  noValidData: 0x92,
  dataBufferOverflow: 0x93,
  moreData: 0x94,
  isoError: 0x95,
  iso14443Error: 0x96,
} as const;

const STATUS_NAMES: Record<number, [code: string, text: string]> = {
  1: ['rfid_no_transponder', 'no transponder in the field'],
  2: ['rfid_data_false', 'transponder data false'],
  3: ['rfid_write_error', 'write error'],
  4: ['rfid_address_error', 'address error (block out of range)'],
  5: ['rfid_wrong_transponder', 'wrong transponder type'],
  16: ['feig_eeprom_failure', 'reader EEPROM failure'],
  17: ['feig_parameter_range', 'parameter out of range'],
  19: ['feig_login_request', 'login required'],
  20: ['feig_login_error', 'login error'],
  21: ['rfid_read_protect', 'read protected'],
  22: ['rfid_write_protect', 'write protected'],
  128: ['feig_unknown_command', 'unknown command'],
  129: ['feig_length_error', 'length error'],
  130: ['feig_command_not_available', 'command not available'],
  131: ['rfid_rf_communication', 'RF communication error'],
  132: ['rfid_rf_warning', 'RF warning'],
  146: ['feig_no_valid_data', 'no valid data'],
  147: ['feig_buffer_overflow', 'data buffer overflow'],
  149: ['rfid_iso_error', 'ISO 15693 error'],
  150: ['rfid_iso14443_error', 'ISO 14443 error'],
};

/** ISO 15693 tag errors 0x11 (block already locked) and 0x12 (block locked, content cannot change). */
const ISO15693_LOCKED: ReadonlySet<number> = new Set([0x11, 0x12]);

/** The reader answered with a status other than OK / more data / RF warning. */
export class FeigStatusError extends PeerError {
  constructor(
    readonly status: number,
    /** The transponder's ISO 15693 error code with status 0x95. */
    readonly isoErrorCode?: number,
  ) {
    const [statusCode, text] = STATUS_NAMES[status] ?? [
      'feig_status',
      `reader status 0x${status.toString(16).padStart(2, '0')}`,
    ];
    // A tag refusing a write to a locked block or AFI answered: it is on the pad, and
    // write-protected as a reader's own status 0x16 says (not an RF failure to retry).
    const code =
      status === FEIG_STATUS.isoError && isoErrorCode !== undefined && ISO15693_LOCKED.has(isoErrorCode)
        ? 'rfid_write_protect'
        : statusCode;
    const iso =
      isoErrorCode === undefined
        ? ''
        : `: 0x${isoErrorCode.toString(16).padStart(2, '0')} ${describeIso15693Error(isoErrorCode)}`;
    super(code, `${text}${iso}`);
  }
}

/** Statuses after which the reply's data is valid. */
export function isSuccessStatus(status: number): boolean {
  return status === FEIG_STATUS.ok || status === FEIG_STATUS.moreData || status === FEIG_STATUS.rfWarning;
}
