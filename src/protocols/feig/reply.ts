/** A reader's reply frame: STATUS first, then the command's data. */
import { FEIG_STATUS, FeigFrameError, FeigStatusError, isSuccessStatus } from './errors.js';
import type { FeigFrame } from './frame.js';

export interface FeigReply {
  status: number;
  data: Uint8Array;
}

/** Splits a reply into STATUS and data; throws FeigStatusError for an error status. */
export function decodeFeigReply(frame: FeigFrame): FeigReply {
  const status = frame.data[0];
  if (status === undefined) throw new FeigFrameError('feig_bad_reply', 'reply without a status byte');
  const data = frame.data.subarray(1);
  if (!isSuccessStatus(status)) {
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
