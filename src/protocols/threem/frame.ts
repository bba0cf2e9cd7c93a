/**
 * 3M 810 pad frames: `SOF LEN(2, big-endian) payload CRC(2)`. SOF is D6 for most host
 * commands and the pad's replies to them; the hardware-version probe travels with D5 both
 * ways. LEN counts the payload and the CRC. The CRC is CRC-16/GENIBUS over LEN and payload
 * (not SOF), sent high byte first.
 */
import { crc16Genibus } from '../rfid/crc.js';
import { ThreeMFrameError } from './errors.js';

export const THREEM_SOF = { command: 0xd6, probe: 0xd5 } as const;
/** SOF, LEN(2), one payload byte, CRC(2). */
export const THREEM_MIN_FRAME = 6;
export const THREEM_DEFAULT_MAX_FRAME = 1024;

export interface ThreeMFrame {
  /** D6 or D5. */
  start: number;
  payload: Uint8Array;
}

export function encodeThreeMFrame(frame: ThreeMFrame): Uint8Array {
  if (frame.start !== THREEM_SOF.command && frame.start !== THREEM_SOF.probe)
    throw new ThreeMFrameError('threem_bad_argument', 'start byte is D5 or D6');
  if (frame.payload.length < 1 || frame.payload.length > 0xfffd)
    throw new ThreeMFrameError('threem_bad_argument', 'payload is 1..65533 bytes');
  const length = frame.payload.length + 2;
  const out = new Uint8Array(frame.payload.length + 5);
  out[0] = frame.start;
  out[1] = length >>> 8;
  out[2] = length & 0xff;
  out.set(frame.payload, 3);
  const crc = crc16Genibus(out.subarray(1, out.length - 2));
  out[out.length - 2] = crc >>> 8;
  out[out.length - 1] = crc & 0xff;
  return out;
}

/** Decodes exactly one frame. Throws ThreeMFrameError. */
export function decodeThreeMFrame(bytes: Uint8Array): ThreeMFrame {
  if (bytes.length < THREEM_MIN_FRAME)
    throw new ThreeMFrameError('threem_truncated', `frame of ${bytes.length} bytes`);
  const start = bytes[0]!;
  if (start !== THREEM_SOF.command && start !== THREEM_SOF.probe)
    throw new ThreeMFrameError('threem_bad_start', 'frame does not start with D5 or D6');
  const length = (bytes[1]! << 8) | bytes[2]!;
  if (length + 3 !== bytes.length)
    throw new ThreeMFrameError('threem_bad_length', `LEN says ${length}, frame carries ${bytes.length - 3}`);
  const crc = crc16Genibus(bytes.subarray(1, bytes.length - 2));
  if (bytes[bytes.length - 2] !== crc >>> 8 || bytes[bytes.length - 1] !== (crc & 0xff))
    throw new ThreeMFrameError('threem_crc', 'frame CRC mismatch');
  return { start, payload: bytes.slice(3, bytes.length - 2) };
}
