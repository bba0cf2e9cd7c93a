/**
 * ccTalk frames with the simple (8-bit) checksum:
 *
 *   [destination] [data length] [source] [header] [data …] [checksum]
 *
 * The checksum makes the sum of every byte of the frame 0 mod 256. A reply is a
 * frame to the host (address 1) whose header is 0 (ACK), 5 (NAK) or 6 (BUSY),
 * its data the answer. Pure: bytes in, values out.
 */
import { CctalkFrameError } from './errors.js';

/** The host's address: replies go to it. */
export const HOST_ADDRESS = 1;
/** Every device listens to it (address poll). */
export const BROADCAST_ADDRESS = 0;
/** Destination, length, source, header and checksum. */
export const FRAME_OVERHEAD = 5;
export const MAX_DATA_LENGTH = 255;
export const MAX_FRAME_LENGTH = FRAME_OVERHEAD + MAX_DATA_LENGTH;

export interface CctalkFrame {
  destination: number;
  source: number;
  header: number;
  data: Uint8Array;
}

/** The byte that makes `bytes` plus itself sum to 0 mod 256. */
export function simpleChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]!) & 0xff;
  return (256 - sum) & 0xff;
}

/** True when the bytes sum to 0 mod 256. */
export function sumsToZero(bytes: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum === 0;
}

function byteArgument(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255)
    throw new CctalkFrameError('cctalk_bad_argument', `${name} must be a byte (0-255), got ${value}`);
  return value;
}

export function encodeFrame(frame: CctalkFrame): Uint8Array {
  if (frame.data.length > MAX_DATA_LENGTH)
    throw new CctalkFrameError('cctalk_bad_argument', `data of ${frame.data.length} bytes; at most 255`);
  const bytes = new Uint8Array(FRAME_OVERHEAD + frame.data.length);
  bytes[0] = byteArgument(frame.destination, 'destination');
  bytes[1] = frame.data.length;
  bytes[2] = byteArgument(frame.source, 'source');
  bytes[3] = byteArgument(frame.header, 'header');
  bytes.set(frame.data, 4);
  bytes[bytes.length - 1] = simpleChecksum(bytes.subarray(0, bytes.length - 1));
  return bytes;
}

/** One whole frame; throws CctalkFrameError for a short, mis-sized or corrupt one. */
export function decodeFrame(bytes: Uint8Array): CctalkFrame {
  if (bytes.length < FRAME_OVERHEAD)
    throw new CctalkFrameError('cctalk_truncated', `${bytes.length} bytes; a frame has at least 5`);
  const length = bytes[1]!;
  if (bytes.length !== FRAME_OVERHEAD + length)
    throw new CctalkFrameError(
      'cctalk_bad_length',
      `data length ${length} says ${FRAME_OVERHEAD + length} bytes, got ${bytes.length}`,
    );
  if (!sumsToZero(bytes)) throw new CctalkFrameError('cctalk_checksum', 'checksum mismatch');
  return {
    destination: bytes[0]!,
    source: bytes[2]!,
    header: bytes[3]!,
    data: bytes.slice(4, 4 + length),
  };
}
