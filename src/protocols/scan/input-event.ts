/**
 * Linux `struct input_event` as read from /dev/input/eventN on a 64-bit
 * kernel (linux/input.h): a 16-byte `struct timeval` (tv_sec, tv_usec, both
 * 64-bit), then `__u16 type`, `__u16 code`, `__s32 value` — 24 bytes, host
 * byte order (little-endian on x86-64 and arm64).
 */
import { ScanError } from './errors.js';

export const INPUT_EVENT_SIZE = 24;
export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_MSC = 0x04;
/** Key values: released, pressed, auto-repeat. */
export const KEY_UP = 0;
export const KEY_DOWN = 1;
export const KEY_REPEAT = 2;

export interface InputEvent {
  /** The kernel's timestamp in microseconds (tv_sec * 1e6 + tv_usec). */
  timeUs: number;
  type: number;
  code: number;
  value: number;
}

export function encodeInputEvent(event: InputEvent): Uint8Array {
  const out = new Uint8Array(INPUT_EVENT_SIZE);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(event.timeUs / 1e6);
  view.setBigInt64(0, BigInt(seconds), true);
  view.setBigInt64(8, BigInt(Math.round(event.timeUs - seconds * 1e6)), true);
  view.setUint16(16, event.type, true);
  view.setUint16(18, event.code, true);
  view.setInt32(20, event.value, true);
  return out;
}

export function decodeInputEvent(record: Uint8Array): InputEvent {
  if (record.length !== INPUT_EVENT_SIZE)
    throw new ScanError(
      'evdev_bad_record',
      `an input_event is ${INPUT_EVENT_SIZE} bytes, not ${record.length}`,
    );
  const event = readInputEvent(new DataView(record.buffer, record.byteOffset, INPUT_EVENT_SIZE), 0);
  if (event instanceof ScanError) throw event;
  return event;
}

/**
 * The record at `at` in `view`, or why it is not one. The two 64-bit fields are read as 32-bit
 * halves (no BigInt per record: a scan is some forty records): exact below 2^53, and rounded
 * once above it, as `Number(bigint)` rounds.
 */
function readInputEvent(view: DataView, at: number): InputEvent | ScanError {
  const seconds = view.getInt32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
  const microsHigh = view.getInt32(at + 12, true);
  const micros = microsHigh * 2 ** 32 + view.getUint32(at + 8, true);
  if (micros < 0 || micros >= 1e6)
    return new ScanError('evdev_bad_record', `tv_usec ${micros} is not within a second`);
  return {
    timeUs: seconds * 1e6 + micros,
    type: view.getUint16(at + 16, true),
    code: view.getUint16(at + 18, true),
    value: view.getInt32(at + 20, true),
  };
}

const NOTHING_HELD = new Uint8Array(0);

/** Reads records from a byte stream delivered in chunks of any size (a FIFO may split a record). */
export class InputEventReader {
  private rest: Uint8Array = NOTHING_HELD;

  get pending(): number {
    return this.rest.length;
  }

  push(chunk: Uint8Array): Array<InputEvent | ScanError> {
    const joined = this.rest.length === 0 ? chunk : concat(this.rest, chunk);
    const out: Array<InputEvent | ScanError> = [];
    // One view over the chunk for all its records.
    const view = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
    let at = 0;
    for (; at + INPUT_EVENT_SIZE <= joined.length; at += INPUT_EVENT_SIZE) out.push(readInputEvent(view, at));
    this.rest = at === joined.length ? NOTHING_HELD : joined.slice(at);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
