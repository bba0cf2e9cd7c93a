/**
 * 3M 810 pad commands. Requests are `D6 [cmd] …` (the probe is `D5 04 00 11`); replies echo
 * the command and carry a status byte next. UIDs travel MSB first (`E0 04 …`); blocks are
 * 4 bytes in logical order. Encoders and decoders for both sides (driver and simulated pad).
 *
 *   probe        D5: 04 00 11                       → 04 00 11 VERSION(4)
 *   inventory    FE 00 05                           → FE 00 00 05 N UID(8)…
 *   read blocks  02 UID(8) FIRST COUNT              → 02 00 UID(8) N (BLOCK-NO(2, LE) DATA(4))…
 *   write blocks 04 UID(8) FIRST COUNT DATA(4·COUNT) → 04 00 UID(8) FIRST COUNT
 *   read AFI     0A UID(8)                          → 0A 00 UID(8) AFI
 *   write AFI    09 UID(8) AFI                      → 09 00 UID(8)
 *   an error     → CMD STATUS
 */
import { type TagUid, uidFromMsbFirst, uidToMsbFirst } from '../iso15693/uid.js';
import { THREEM_STATUS, ThreeMFrameError, ThreeMStatusError } from './errors.js';
import { THREEM_SOF, type ThreeMFrame } from './frame.js';

export const THREEM_COMMAND = {
  probe: 0x04,
  inventory: 0xfe,
  readBlocks: 0x02,
  writeBlocks: 0x04,
  readAfi: 0x0a,
  writeAfi: 0x09,
} as const;

export const THREEM_BLOCK_SIZE = 4;

export type ThreeMRequest =
  | { kind: 'probe' }
  | { kind: 'inventory' }
  | { kind: 'readBlocks'; uid: TagUid; first: number; count: number }
  | { kind: 'writeBlocks'; uid: TagUid; first: number; data: Uint8Array }
  | { kind: 'readAfi'; uid: TagUid }
  | { kind: 'writeAfi'; uid: TagUid; afi: number };

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new ThreeMFrameError('threem_bad_argument', `${what} must be a byte, got ${value}`);
  return value;
}

const command = (payload: number[]): ThreeMFrame => ({
  start: THREEM_SOF.command,
  payload: Uint8Array.from(payload),
});

export function encodeThreeMRequest(request: ThreeMRequest): ThreeMFrame {
  switch (request.kind) {
    case 'probe':
      return { start: THREEM_SOF.probe, payload: Uint8Array.of(0x04, 0x00, 0x11) };
    case 'inventory':
      return command([THREEM_COMMAND.inventory, 0x00, 0x05]);
    case 'readBlocks':
      if (!Number.isInteger(request.count) || request.count < 1 || request.count > 0xff)
        throw new ThreeMFrameError('threem_bad_argument', 'block count is 1..255');
      return command([
        THREEM_COMMAND.readBlocks,
        ...uidToMsbFirst(request.uid),
        byte(request.first, 'first block'),
        request.count,
      ]);
    case 'writeBlocks': {
      const count = request.data.length / THREEM_BLOCK_SIZE;
      if (!Number.isInteger(count) || count < 1 || count > 0xff)
        throw new ThreeMFrameError('threem_bad_argument', 'write needs 1..255 whole 4-byte blocks');
      return command([
        THREEM_COMMAND.writeBlocks,
        ...uidToMsbFirst(request.uid),
        byte(request.first, 'first block'),
        count,
        ...request.data,
      ]);
    }
    case 'readAfi':
      return command([THREEM_COMMAND.readAfi, ...uidToMsbFirst(request.uid)]);
    case 'writeAfi':
      return command([THREEM_COMMAND.writeAfi, ...uidToMsbFirst(request.uid), byte(request.afi, 'AFI')]);
  }
}

/** The pad's side: what a host frame asks for. Throws ThreeMFrameError for unknown or short requests. */
export function decodeThreeMRequest(frame: ThreeMFrame): ThreeMRequest {
  const p = frame.payload;
  const need = (n: number) => {
    if (p.length < n) throw new ThreeMFrameError('threem_truncated', `request needs ${n} bytes`);
  };
  if (frame.start === THREEM_SOF.probe) {
    if (p[0] === 0x04) return { kind: 'probe' };
    throw new ThreeMFrameError('threem_bad_argument', 'unknown D5 request');
  }
  need(1);
  switch (p[0]) {
    case THREEM_COMMAND.inventory:
      return { kind: 'inventory' };
    case THREEM_COMMAND.readBlocks:
      need(11);
      return { kind: 'readBlocks', uid: uidFromMsbFirst(p, 1), first: p[9]!, count: p[10]! };
    case THREEM_COMMAND.writeBlocks: {
      need(11);
      const count = p[10]!;
      need(11 + count * THREEM_BLOCK_SIZE);
      if (count === 0) throw new ThreeMFrameError('threem_bad_argument', 'empty write');
      return {
        kind: 'writeBlocks',
        uid: uidFromMsbFirst(p, 1),
        first: p[9]!,
        data: p.slice(11, 11 + count * 4),
      };
    }
    case THREEM_COMMAND.readAfi:
      need(9);
      return { kind: 'readAfi', uid: uidFromMsbFirst(p, 1) };
    case THREEM_COMMAND.writeAfi:
      need(10);
      return { kind: 'writeAfi', uid: uidFromMsbFirst(p, 1), afi: p[9]! };
    default:
      throw new ThreeMFrameError('threem_bad_argument', `unknown command 0x${p[0]!.toString(16)}`);
  }
}

/** Checks a reply's command echo and status; returns the bytes after the status. */
export function replyBody(frame: ThreeMFrame, expected: number): Uint8Array {
  const p = frame.payload;
  if (p.length < 2) throw new ThreeMFrameError('threem_bad_reply', 'reply without command and status');
  if (p[0] !== expected)
    throw new ThreeMFrameError(
      'threem_bad_reply',
      `reply to 0x${p[0]!.toString(16)} while waiting for 0x${expected.toString(16)}`,
    );
  if (p[1] !== THREEM_STATUS.ok) throw new ThreeMStatusError(p[1]!);
  return p.subarray(2);
}

export function errorReply(
  commandCode: number,
  status: number,
  start: number = THREEM_SOF.command,
): ThreeMFrame {
  return { start, payload: Uint8Array.of(commandCode, status) };
}

/** Probe reply `04 00 11 VV VV VV VV`: the version as dotted hex (`0A.05.00.02`). */
export function decodeProbeReply(frame: ThreeMFrame): string {
  const p = frame.payload;
  if (frame.start !== THREEM_SOF.probe || p[0] !== 0x04 || p.length < 7)
    throw new ThreeMFrameError('threem_bad_reply', 'not a probe reply');
  return Array.from(p.subarray(3, 7), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('.');
}

export function encodeProbeReply(version: Uint8Array): ThreeMFrame {
  return { start: THREEM_SOF.probe, payload: Uint8Array.from([0x04, 0x00, 0x11, ...version.subarray(0, 4)]) };
}

export function decodeInventoryReply(frame: ThreeMFrame): TagUid[] {
  const body = replyBody(frame, THREEM_COMMAND.inventory);
  if (body.length < 3) throw new ThreeMFrameError('threem_bad_reply', 'inventory reply without a count');
  const count = body[2]!;
  if (body.length < 3 + count * 8)
    throw new ThreeMFrameError('threem_bad_reply', 'inventory reply shorter than its UIDs');
  return Array.from({ length: count }, (_, i) => uidFromMsbFirst(body, 3 + i * 8));
}

export function encodeInventoryReply(uids: readonly TagUid[]): ThreeMFrame {
  return command([
    THREEM_COMMAND.inventory,
    0x00,
    0x00,
    0x05,
    uids.length,
    ...uids.flatMap((u) => [...uidToMsbFirst(u)]),
  ]);
}

/** Read blocks reply: the blocks' data joined in logical order. */
export function decodeReadBlocksReply(
  frame: ThreeMFrame,
  uid?: TagUid,
): { uid: TagUid; first: number; data: Uint8Array } {
  const body = replyBody(frame, THREEM_COMMAND.readBlocks);
  if (body.length < 9) throw new ThreeMFrameError('threem_bad_reply', 'read reply without UID and count');
  const replyUid = uidFromMsbFirst(body, 0);
  if (uid !== undefined && replyUid !== uid)
    throw new ThreeMFrameError('threem_bad_reply', 'read reply for another tag');
  const count = body[8]!;
  if (body.length < 9 + count * 6)
    throw new ThreeMFrameError('threem_bad_reply', 'read reply shorter than its blocks');
  const data = new Uint8Array(count * THREEM_BLOCK_SIZE);
  let first = 0;
  for (let i = 0; i < count; i++) {
    const at = 9 + i * 6;
    const number = body[at]! | (body[at + 1]! << 8);
    if (i === 0) first = number;
    else if (number !== first + i)
      throw new ThreeMFrameError('threem_bad_reply', 'read reply blocks out of order');
    data.set(body.subarray(at + 2, at + 6), i * THREEM_BLOCK_SIZE);
  }
  return { uid: replyUid, first, data };
}

export function encodeReadBlocksReply(uid: TagUid, first: number, data: Uint8Array): ThreeMFrame {
  const count = data.length / THREEM_BLOCK_SIZE;
  const blocks: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    blocks.push(n & 0xff, n >>> 8, ...data.subarray(i * 4, i * 4 + 4));
  }
  return command([THREEM_COMMAND.readBlocks, 0x00, ...uidToMsbFirst(uid), count, ...blocks]);
}

export function encodeWriteBlocksReply(uid: TagUid, first: number, count: number): ThreeMFrame {
  return command([THREEM_COMMAND.writeBlocks, 0x00, ...uidToMsbFirst(uid), first, count]);
}

export function decodeReadAfiReply(frame: ThreeMFrame): number {
  const body = replyBody(frame, THREEM_COMMAND.readAfi);
  if (body.length < 9) throw new ThreeMFrameError('threem_bad_reply', 'read AFI reply without AFI');
  return body[8]!;
}

export function encodeReadAfiReply(uid: TagUid, afi: number): ThreeMFrame {
  return command([THREEM_COMMAND.readAfi, 0x00, ...uidToMsbFirst(uid), afi]);
}

export function encodeWriteAfiReply(uid: TagUid): ThreeMFrame {
  return command([THREEM_COMMAND.writeAfi, 0x00, ...uidToMsbFirst(uid)]);
}

/** The reply command code a request expects back (the probe echoes 04 under D5). */
export function replyCommandOf(request: ThreeMRequest): number {
  return request.kind === 'probe' ? 0x04 : THREEM_COMMAND[request.kind];
}
