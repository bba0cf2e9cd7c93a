/** A reader's reply frame: STATUS first, then the command's data. */
import { FEIG_STATUS, FeigFrameError, FeigStatusError, isSuccessStatus } from './errors.js';
import type { FeigFrame } from './frame.js';

export interface FeigReply {
  status: number;
  data: Uint8Array;
}

/**
 * Splits a reply into STATUS and data; throws FeigStatusError for an error status, but `expected`:
 * a status the caller reads as an answer (an inventory's "no transponder" on an empty pad, several
 * times a second), returned as it is rather than thrown with a stack trace each time.
 */
export function decodeFeigReply(frame: FeigFrame, expected?: number): FeigReply {
  const status = frame.data[0];
  if (status === undefined) throw new FeigFrameError('feig_bad_reply', 'reply without a status byte');
  const data = frame.data.subarray(1);
  if (!isSuccessStatus(status) && status !== expected) {
    throw new FeigStatusError(status, status === FEIG_STATUS.isoError ? data[0] : undefined);
  }
  return { status, data };
}

export function feigReply(
  address: number,
  command: number,
  status: number,
  data: ArrayLike<number> = [],
): FeigFrame {
  return { address, command, data: Uint8Array.from([status, ...Array.from(data)]) };
}
