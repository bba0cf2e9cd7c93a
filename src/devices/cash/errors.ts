import { CarrelError } from '../../core/errors.js';

export type CashDeviceErrorCode =
  /** No valid reply within the reply timeout, after the retries. */
  | 'cctalk_timeout'
  /** The device refused the request (NAK): the command or its data is not accepted. */
  | 'cctalk_nak'
  /** The device stayed busy through the retries. */
  | 'cctalk_busy'
  /** What came back as the echo of the request was not the request: a collision, or a line that does not echo. */
  | 'cctalk_echo_mismatch'
  /** A reply whose data does not fit its command. */
  | 'cctalk_bad_reply'
  /** The device at the address is not the kind configured (a bill validator where a coin acceptor was meant). */
  | 'cash_wrong_device';
// A note the validator could not route is not an error: its `cash.escrow` event's outcome says `failed`.

/** A ccTalk request that did not get its answer, or a device that is not what it should be. */
export class CashDeviceError extends CarrelError {
  constructor(code: CashDeviceErrorCode, message: string) {
    super(code, message);
  }
}
