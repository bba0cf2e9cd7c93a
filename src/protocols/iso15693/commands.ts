/**
 * ISO/IEC 15693-3 request and response frames as they travel on the air, CRC included
 * (ISO/IEC 13239 CRC, low byte first). Readers that speak a host protocol (FEIG, 3M)
 * wrap the same commands; their codecs reuse the constants and parsers here.
 */
import { crc16Iso15693, crc16LowFirst } from '../rfid/crc.js';
import { describeIso15693Error, Iso15693Error } from './errors.js';
import { parseSystemInfo, type SystemInfo } from './system-info.js';
import { type TagUid, uidFromWire, uidToWire } from './uid.js';

export const ISO15693_COMMAND = {
  inventory: 0x01,
  stayQuiet: 0x02,
  readSingleBlock: 0x20,
  writeSingleBlock: 0x21,
  lockBlock: 0x22,
  readMultipleBlocks: 0x23,
  writeMultipleBlocks: 0x24,
  writeAfi: 0x27,
  lockAfi: 0x28,
  getSystemInfo: 0x2b,
  /** NXP ICODE SLIX custom commands (manufacturer code 0x04). */
  nxpSetEas: 0xa2,
  nxpResetEas: 0xa3,
  nxpLockEas: 0xa4,
  nxpEasAlarm: 0xa5,
} as const;

export const NXP_MANUFACTURER_CODE = 0x04;

/** Request flag bits (ISO/IEC 15693-3 tables 3–5). */
export const REQUEST_FLAG = {
  subCarrier: 0x01,
  highDataRate: 0x02,
  inventory: 0x04,
  protocolExtension: 0x08,
  /** Without the inventory flag. */
  select: 0x10,
  address: 0x20,
  option: 0x40,
  /** With the inventory flag. */
  afi: 0x10,
  oneSlot: 0x20,
} as const;

export const RESPONSE_FLAG_ERROR = 0x01;

export type NxpEasCommand = 'set' | 'reset' | 'lock' | 'alarm';

const EAS_COMMAND: Record<NxpEasCommand, number> = {
  set: ISO15693_COMMAND.nxpSetEas,
  reset: ISO15693_COMMAND.nxpResetEas,
  lock: ISO15693_COMMAND.nxpLockEas,
  alarm: ISO15693_COMMAND.nxpEasAlarm,
};

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new Iso15693Error('iso15693_bad_argument', `${what} must be a byte, got ${value}`);
  return value;
}

/** Appends the air CRC (low byte first). */
export function withAirCrc(body: ArrayLike<number>): Uint8Array {
  const bytes = Uint8Array.from(body as ArrayLike<number>);
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes);
  out.set(crc16LowFirst(crc16Iso15693(bytes)), bytes.length);
  return out;
}

/** Checks and strips the air CRC. */
export function withoutAirCrc(frame: Uint8Array): Uint8Array {
  if (frame.length < 3) throw new Iso15693Error('iso15693_truncated', 'frame shorter than flags and CRC');
  const end = frame.length - 2;
  const crc = crc16Iso15693(frame.subarray(0, end));
  if (frame[end] !== (crc & 0xff) || frame[end + 1] !== crc >>> 8)
    throw new Iso15693Error('iso15693_crc', 'air CRC mismatch');
  return frame.subarray(0, end);
}

/** An addressed (uid given) or non-addressed request: flags, command, [mfr], [uid], params, CRC. */
export function encodeRequest(
  command: number,
  options: { uid?: TagUid; option?: boolean; manufacturer?: number } = {},
  parameters: ArrayLike<number> = [],
): Uint8Array {
  let flags = REQUEST_FLAG.highDataRate;
  if (options.uid) flags |= REQUEST_FLAG.address;
  if (options.option) flags |= REQUEST_FLAG.option;
  const body = [flags, byte(command, 'command')];
  if (options.manufacturer !== undefined) body.push(byte(options.manufacturer, 'manufacturer code'));
  if (options.uid) body.push(...uidToWire(options.uid));
  body.push(...Array.from(parameters));
  return withAirCrc(body);
}

export interface InventoryRequest {
  /** Only tags with this AFI answer. */
  afi?: number;
  /** 16 slots (default) or 1 slot. */
  slots?: 1 | 16;
  /** Mask length in bits and the mask value bytes (LSB first). */
  maskLength?: number;
  mask?: Uint8Array;
}

export function encodeInventory(request: InventoryRequest = {}): Uint8Array {
  let flags = REQUEST_FLAG.highDataRate | REQUEST_FLAG.inventory;
  if ((request.slots ?? 16) === 1) flags |= REQUEST_FLAG.oneSlot;
  const body = [flags, ISO15693_COMMAND.inventory];
  if (request.afi !== undefined) {
    body[0] = flags | REQUEST_FLAG.afi;
    body.push(byte(request.afi, 'AFI'));
  }
  const maskLength = request.maskLength ?? 0;
  if (!Number.isInteger(maskLength) || maskLength < 0 || maskLength > 64)
    throw new Iso15693Error('iso15693_bad_argument', 'mask length is 0..64 bits');
  body.push(maskLength);
  const maskBytes = Math.ceil(maskLength / 8);
  const mask = request.mask ?? new Uint8Array(maskBytes);
  if (mask.length < maskBytes)
    throw new Iso15693Error('iso15693_bad_argument', 'mask shorter than its length');
  body.push(...mask.subarray(0, maskBytes));
  return withAirCrc(body);
}

export function encodeReadSingleBlock(
  uid: TagUid | undefined,
  block: number,
  securityStatus = false,
): Uint8Array {
  return encodeRequest(
    ISO15693_COMMAND.readSingleBlock,
    { ...(uid ? { uid } : {}), option: securityStatus },
    [byte(block, 'block number')],
  );
}

export function encodeReadMultipleBlocks(
  uid: TagUid | undefined,
  first: number,
  count: number,
  securityStatus = false,
): Uint8Array {
  if (!Number.isInteger(count) || count < 1 || first + count > 256)
    throw new Iso15693Error('iso15693_bad_argument', 'block count is 1..256 within the 256 blocks');
  return encodeRequest(
    ISO15693_COMMAND.readMultipleBlocks,
    { ...(uid ? { uid } : {}), option: securityStatus },
    [byte(first, 'first block'), count - 1],
  );
}

export function encodeWriteSingleBlock(uid: TagUid | undefined, block: number, data: Uint8Array): Uint8Array {
  return encodeRequest(ISO15693_COMMAND.writeSingleBlock, uid ? { uid } : {}, [
    byte(block, 'block number'),
    ...data,
  ]);
}

export function encodeWriteMultipleBlocks(
  uid: TagUid | undefined,
  first: number,
  data: Uint8Array,
  blockSize = 4,
): Uint8Array {
  if (data.length === 0 || data.length % blockSize !== 0)
    throw new Iso15693Error('iso15693_bad_argument', `data must be whole ${blockSize}-byte blocks`);
  const count = data.length / blockSize;
  if (first + count > 256) throw new Iso15693Error('iso15693_bad_argument', 'write runs past block 255');
  return encodeRequest(ISO15693_COMMAND.writeMultipleBlocks, uid ? { uid } : {}, [
    byte(first, 'first block'),
    count - 1,
    ...data,
  ]);
}

export function encodeLockBlock(uid: TagUid | undefined, block: number): Uint8Array {
  return encodeRequest(ISO15693_COMMAND.lockBlock, uid ? { uid } : {}, [byte(block, 'block number')]);
}

export function encodeWriteAfi(uid: TagUid | undefined, afi: number): Uint8Array {
  return encodeRequest(ISO15693_COMMAND.writeAfi, uid ? { uid } : {}, [byte(afi, 'AFI')]);
}

/**
 * Lock AFI is permanent. Carrel's drivers never send it: an AFI that carries security
 * must stay writable. It exists so the codec is complete and tests can prove it is unused.
 */
export function encodeLockAfi(uid: TagUid | undefined): Uint8Array {
  return encodeRequest(ISO15693_COMMAND.lockAfi, uid ? { uid } : {});
}

export function encodeGetSystemInfo(uid: TagUid | undefined): Uint8Array {
  return encodeRequest(ISO15693_COMMAND.getSystemInfo, uid ? { uid } : {});
}

/** NXP ICODE SLIX EAS: A2 set, A3 reset, A4 lock, A5 alarm (manufacturer code 0x04). */
export function encodeNxpEas(command: NxpEasCommand, uid: TagUid | undefined): Uint8Array {
  return encodeRequest(EAS_COMMAND[command], {
    ...(uid ? { uid } : {}),
    manufacturer: NXP_MANUFACTURER_CODE,
  });
}

/**
 * Checks the CRC and the error flag of a response and returns what follows the flags byte.
 * An error response throws Iso15693Error with `tagErrorCode`.
 */
export function decodeResponse(frame: Uint8Array): Uint8Array {
  const body = withoutAirCrc(frame);
  const flags = body[0]!;
  if (flags & RESPONSE_FLAG_ERROR) {
    const code = body[1];
    if (code === undefined) throw new Iso15693Error('iso15693_truncated', 'error response without a code');
    throw new Iso15693Error(
      'iso15693_tag_error',
      `tag error 0x${hex(code)}: ${describeIso15693Error(code)}`,
      code,
    );
  }
  return body.subarray(1);
}

export interface InventoryReply {
  dsfid: number;
  uid: TagUid;
}

/** `flags DSFID UID(8) CRC`. */
export function decodeInventoryResponse(frame: Uint8Array): InventoryReply {
  const body = decodeResponse(frame);
  if (body.length < 9) throw new Iso15693Error('iso15693_truncated', 'inventory reply needs DSFID and UID');
  return { dsfid: body[0]!, uid: uidFromWire(body, 1) };
}

export interface BlocksReply {
  blocks: Uint8Array[];
  /** Per-block security status (bit 0 = locked), when requested with the option flag. */
  securityStatus?: number[];
}

/** Read single/multiple block replies: `flags ([sec] block)… CRC`. */
export function decodeReadBlocksResponse(
  frame: Uint8Array,
  blockSize: number,
  securityStatus = false,
): BlocksReply {
  const body = decodeResponse(frame);
  const step = blockSize + (securityStatus ? 1 : 0);
  if (body.length === 0 || body.length % step !== 0)
    throw new Iso15693Error('iso15693_truncated', `block data is not whole ${blockSize}-byte blocks`);
  const blocks: Uint8Array[] = [];
  const status: number[] = [];
  for (let at = 0; at < body.length; at += step) {
    if (securityStatus) status.push(body[at]!);
    blocks.push(body.slice(at + (securityStatus ? 1 : 0), at + step));
  }
  return securityStatus ? { blocks, securityStatus: status } : { blocks };
}

export function decodeSystemInfoResponse(frame: Uint8Array): SystemInfo {
  return parseSystemInfo(decodeResponse(frame));
}

/** The EAS alarm reply carries the 32-byte EAS sequence; a tag without EAS set stays silent. */
export function decodeEasAlarmResponse(frame: Uint8Array): Uint8Array {
  return decodeResponse(frame).slice();
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0').toUpperCase();
}
