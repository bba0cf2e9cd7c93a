import { PeerError } from '../../core/errors.js';

export type ThreeMFrameErrorCode =
  | 'threem_truncated'
  | 'threem_bad_start'
  | 'threem_bad_length'
  | 'threem_crc'
  | 'threem_garbage'
  | 'threem_bad_argument'
  | 'threem_bad_reply';

/** Bytes that are not a well-formed 3M 810 frame or reply. */
export class ThreeMFrameError extends PeerError {
  constructor(code: ThreeMFrameErrorCode, message: string) {
    super(code, message);
  }
}

/** The status byte after the command echo in a pad's reply. */
export const THREEM_STATUS = {
  ok: 0x00,
  noTag: 0x01,
  writeFailed: 0x02,
  blockLocked: 0x03,
  addressError: 0x04,
  unknownCommand: 0x05,
} as const;

const STATUS_NAMES: Record<number, [string, string]> = {
  1: ['rfid_no_transponder', 'tag not in the field'],
  2: ['rfid_write_error', 'write failed'],
  3: ['rfid_write_protect', 'block locked'],
  4: ['rfid_address_error', 'block out of range'],
  5: ['threem_unknown_command', 'unknown command'],
};

/** The pad answered a command with an error status. */
export class ThreeMStatusError extends PeerError {
  constructor(readonly status: number) {
    const [code, text] = STATUS_NAMES[status] ?? [
      'threem_status',
      `pad status 0x${status.toString(16).padStart(2, '0')}`,
    ];
    super(code, text);
  }
}
