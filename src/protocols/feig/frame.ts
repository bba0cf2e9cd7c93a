/**
 * FEIG ID ISC "advanced protocol" frames:
 * `02 ALEN(2, big-endian, whole frame) COM-ADR CMD DATA… CRC(2)`, CRC-16/MCRF4XX over every
 * byte before it (STX included), low byte first. A reader's reply carries a STATUS byte as
 * the first DATA byte.
 */
import { crc16Mcrf4xx } from '../rfid/crc.js';
import { FeigFrameError } from './errors.js';

export const FEIG_STX = 0x02;
/** STX, ALEN(2), COM-ADR, CMD, CRC(2). */
export const FEIG_MIN_FRAME = 7;
/** Largest frame the parser accepts by default (FEIG readers buffer well under this). */
export const FEIG_DEFAULT_MAX_FRAME = 4096;
/** COM-ADR every reader answers to. */
export const FEIG_BROADCAST_ADDRESS = 0xff;

export interface FeigFrame {
  /** COM-ADR: the reader's bus address; 0xFF addresses any reader. */
  address: number;
  command: number;
  /** DATA; in a reply, `data[0]` is the STATUS byte. */
  data: Uint8Array;
}

export function encodeFeigFrame(frame: FeigFrame): Uint8Array {
  const length = FEIG_MIN_FRAME + frame.data.length;
  if (length > 0xffff) throw new FeigFrameError('feig_frame_too_long', `frame of ${length} bytes`);
  if (!isByte(frame.address) || !isByte(frame.command))
    throw new FeigFrameError('feig_bad_argument', 'COM-ADR and CMD are bytes');
  const out = new Uint8Array(length);
  out[0] = FEIG_STX;
  out[1] = length >>> 8;
  out[2] = length & 0xff;
  out[3] = frame.address;
  out[4] = frame.command;
  out.set(frame.data, 5);
  const crc = crc16Mcrf4xx(out.subarray(0, length - 2));
  out[length - 2] = crc & 0xff;
  out[length - 1] = crc >>> 8;
  return out;
}

/** Decodes one complete frame (exactly its bytes). Throws FeigFrameError. */
export function decodeFeigFrame(bytes: Uint8Array): FeigFrame {
  if (bytes.length < FEIG_MIN_FRAME)
    throw new FeigFrameError('feig_truncated', `frame of ${bytes.length} bytes`);
  if (bytes[0] !== FEIG_STX) throw new FeigFrameError('feig_no_stx', 'frame does not start with STX');
  const length = (bytes[1]! << 8) | bytes[2]!;
  if (length !== bytes.length)
    throw new FeigFrameError('feig_bad_length', `ALEN says ${length} bytes, frame has ${bytes.length}`);
  const crc = crc16Mcrf4xx(bytes.subarray(0, length - 2));
  if (bytes[length - 2] !== (crc & 0xff) || bytes[length - 1] !== crc >>> 8)
    throw new FeigFrameError('feig_crc', 'frame CRC mismatch');
  return { address: bytes[3]!, command: bytes[4]!, data: bytes.slice(5, length - 2) };
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}
