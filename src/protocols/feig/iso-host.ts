/**
 * The FEIG ISO host commands: CMD 0xB0 wraps ISO 15693 commands, 0xB1 the NXP custom ones.
 * UIDs are sent MSB first (`E0 04 …`); block data in read/write multiple blocks travels with
 * each block's bytes reversed. Encoders and decoders for both directions, so the reader
 * driver and the simulated pad share one codec.
 */
import { NXP_MANUFACTURER_CODE, type NxpEasCommand } from '../iso15693/commands.js';
import type { SystemInfo } from '../iso15693/system-info.js';
import { type TagUid, uidFromMsbFirst, uidToMsbFirst } from '../iso15693/uid.js';
import { FeigFrameError } from './errors.js';

export const FEIG_COMMAND = {
  baudDetect: 0x52,
  softwareVersion: 0x65,
  isoHost: 0xb0,
  nxpCustom: 0xb1,
} as const;

export const FEIG_ISO_COMMAND = {
  inventory: 0x01,
  lockMultipleBlocks: 0x22,
  readMultipleBlocks: 0x23,
  writeMultipleBlocks: 0x24,
  writeAfi: 0x27,
  /** ISO 15693 Write DSFID (the data-storage format identifier, e.g. 0x06 ISO 28560-2). */
  writeDsfid: 0x29,
  getSystemInfo: 0x2b,
} as const;

const NXP_EAS_CODES: Record<NxpEasCommand, number> = { set: 0xa2, reset: 0xa3, lock: 0xa4, alarm: 0xa5 };
const NXP_EAS_BY_CODE = new Map(Object.entries(NXP_EAS_CODES).map(([k, v]) => [v, k as NxpEasCommand]));

/** MODE byte bits. */
export const FEIG_MODE = { addressed: 0x01, afi: 0x10, more: 0x80 } as const;
/** TR-TYPE of an ISO 15693 transponder in inventory replies. */
export const FEIG_TR_TYPE_ISO15693 = 0x03;

/** One ISO host request, as the reader sees it. */
export type FeigIsoRequest =
  | { kind: 'inventory'; afi?: number; more: boolean }
  | { kind: 'readBlocks'; uid?: TagUid; first: number; count: number }
  | { kind: 'writeBlocks'; uid?: TagUid; first: number; blockSize: number; blocks: Uint8Array[] }
  | { kind: 'lockBlocks'; uid?: TagUid; first: number; count: number }
  | { kind: 'writeAfi'; uid?: TagUid; afi: number }
  | { kind: 'writeDsfid'; uid?: TagUid; dsfid: number }
  | { kind: 'systemInfo'; uid?: TagUid }
  | { kind: 'eas'; command: NxpEasCommand; uid?: TagUid };

function addressing(uid: TagUid | undefined): number[] {
  return uid ? [FEIG_MODE.addressed, ...uidToMsbFirst(uid)] : [0x00];
}

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new FeigFrameError('feig_bad_argument', `${what} must be a byte, got ${value}`);
  return value;
}

function reversedBlock(block: Uint8Array): number[] {
  return Array.from(block).reverse();
}

/** The DATA of a CMD 0xB0 / 0xB1 request. */
export function encodeIsoRequest(request: FeigIsoRequest): { command: number; data: Uint8Array } {
  const b0 = (bytes: number[]) => ({ command: FEIG_COMMAND.isoHost, data: Uint8Array.from(bytes) });
  switch (request.kind) {
    case 'inventory': {
      let mode = request.more ? FEIG_MODE.more : 0;
      if (request.afi !== undefined) mode |= FEIG_MODE.afi;
      return b0([
        FEIG_ISO_COMMAND.inventory,
        mode,
        ...(request.afi === undefined ? [] : [byte(request.afi, 'AFI')]),
      ]);
    }
    case 'readBlocks':
      if (!Number.isInteger(request.count) || request.count < 1 || request.count > 0xff)
        throw new FeigFrameError('feig_bad_argument', 'block count is 1..255');
      return b0([
        FEIG_ISO_COMMAND.readMultipleBlocks,
        ...addressing(request.uid),
        byte(request.first, 'first block'),
        request.count,
      ]);
    case 'writeBlocks': {
      const { blocks, blockSize } = request;
      if (blocks.length < 1 || blocks.length > 0xff || blocks.some((b) => b.length !== blockSize))
        throw new FeigFrameError('feig_bad_argument', `write needs 1..255 blocks of ${blockSize} bytes`);
      return b0([
        FEIG_ISO_COMMAND.writeMultipleBlocks,
        ...addressing(request.uid),
        byte(request.first, 'first block'),
        blocks.length,
        byte(blockSize, 'block size'),
        ...blocks.flatMap(reversedBlock),
      ]);
    }
    case 'lockBlocks':
      return b0([
        FEIG_ISO_COMMAND.lockMultipleBlocks,
        ...addressing(request.uid),
        byte(request.first, 'first block'),
        byte(request.count, 'block count'),
      ]);
    case 'writeAfi':
      return b0([FEIG_ISO_COMMAND.writeAfi, ...addressing(request.uid), byte(request.afi, 'AFI')]);
    case 'writeDsfid':
      return b0([FEIG_ISO_COMMAND.writeDsfid, ...addressing(request.uid), byte(request.dsfid, 'DSFID')]);
    case 'systemInfo':
      return b0([FEIG_ISO_COMMAND.getSystemInfo, ...addressing(request.uid)]);
    case 'eas':
      return {
        command: FEIG_COMMAND.nxpCustom,
        data: Uint8Array.from([
          NXP_EAS_CODES[request.command],
          NXP_MANUFACTURER_CODE,
          ...addressing(request.uid),
        ]),
      };
  }
}

/** Reads a CMD 0xB0 / 0xB1 request's DATA (the simulated reader's side). */
export function decodeIsoRequest(command: number, data: Uint8Array): FeigIsoRequest {
  const need = (n: number) => {
    if (data.length < n) throw new FeigFrameError('feig_truncated', `ISO host request needs ${n} bytes`);
  };
  const readAddressing = (at: number): { uid?: TagUid; next: number } => {
    need(at + 1);
    if (data[at]! & FEIG_MODE.addressed) {
      need(at + 9);
      return { uid: uidFromMsbFirst(data, at + 1), next: at + 9 };
    }
    return { next: at + 1 };
  };
  need(1);
  if (command === FEIG_COMMAND.nxpCustom) {
    const eas = NXP_EAS_BY_CODE.get(data[0]!);
    need(2);
    if (!eas || data[1] !== NXP_MANUFACTURER_CODE)
      throw new FeigFrameError('feig_bad_argument', 'unsupported custom command');
    const { uid } = readAddressing(2);
    return { kind: 'eas', command: eas, ...(uid ? { uid } : {}) };
  }
  if (command !== FEIG_COMMAND.isoHost)
    throw new FeigFrameError('feig_bad_argument', 'not an ISO host command');
  const withUid = (uid: TagUid | undefined) => (uid ? { uid } : {});
  switch (data[0]) {
    case FEIG_ISO_COMMAND.inventory: {
      need(2);
      const mode = data[1]!;
      if (mode & FEIG_MODE.afi) {
        need(3);
        return { kind: 'inventory', afi: data[2]!, more: (mode & FEIG_MODE.more) !== 0 };
      }
      return { kind: 'inventory', more: (mode & FEIG_MODE.more) !== 0 };
    }
    case FEIG_ISO_COMMAND.readMultipleBlocks: {
      const { uid, next } = readAddressing(1);
      need(next + 2);
      return { kind: 'readBlocks', ...withUid(uid), first: data[next]!, count: data[next + 1]! };
    }
    case FEIG_ISO_COMMAND.lockMultipleBlocks: {
      const { uid, next } = readAddressing(1);
      need(next + 2);
      return { kind: 'lockBlocks', ...withUid(uid), first: data[next]!, count: data[next + 1]! };
    }
    case FEIG_ISO_COMMAND.writeMultipleBlocks: {
      const { uid, next } = readAddressing(1);
      need(next + 3);
      const first = data[next]!;
      const count = data[next + 1]!;
      const blockSize = data[next + 2]!;
      if (count < 1 || blockSize < 1) throw new FeigFrameError('feig_bad_argument', 'empty write');
      need(next + 3 + count * blockSize);
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const at = next + 3 + i * blockSize;
        blocks.push(Uint8Array.from(data.subarray(at, at + blockSize)).reverse());
      }
      return { kind: 'writeBlocks', ...withUid(uid), first, blockSize, blocks };
    }
    case FEIG_ISO_COMMAND.writeAfi: {
      const { uid, next } = readAddressing(1);
      need(next + 1);
      return { kind: 'writeAfi', ...withUid(uid), afi: data[next]! };
    }
    case FEIG_ISO_COMMAND.writeDsfid: {
      const { uid, next } = readAddressing(1);
      need(next + 1);
      return { kind: 'writeDsfid', ...withUid(uid), dsfid: data[next]! };
    }
    case FEIG_ISO_COMMAND.getSystemInfo: {
      const { uid } = readAddressing(1);
      return { kind: 'systemInfo', ...withUid(uid) };
    }
    default:
      throw new FeigFrameError(
        'feig_bad_argument',
        `unsupported ISO host command 0x${data[0]!.toString(16)}`,
      );
  }
}

export interface FeigInventoryEntry {
  transponderType: number;
  dsfid: number;
  uid: TagUid;
}

/** Inventory reply DATA after STATUS: `DATA-SETS (TR-TYPE DSFID UID(8))…`. */
export function decodeInventoryReply(data: Uint8Array): FeigInventoryEntry[] {
  if (data.length === 0) return [];
  const count = data[0]!;
  if (data.length < 1 + count * 10)
    throw new FeigFrameError('feig_bad_reply', 'inventory reply shorter than its data sets');
  const entries: FeigInventoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 1 + i * 10;
    entries.push({ transponderType: data[at]!, dsfid: data[at + 1]!, uid: uidFromMsbFirst(data, at + 2) });
  }
  return entries;
}

export function encodeInventoryReply(entries: readonly FeigInventoryEntry[]): Uint8Array {
  return Uint8Array.from([
    entries.length,
    ...entries.flatMap((e) => [e.transponderType, e.dsfid, ...uidToMsbFirst(e.uid)]),
  ]);
}

export interface FeigBlocks {
  blockSize: number;
  blocks: Uint8Array[];
  /** Security status per block (bit 0: locked). */
  securityStatus: number[];
}

/** Read multiple blocks reply DATA after STATUS: `DB-N DB-SIZE (SEC-STATUS DB-reversed)…`. */
export function decodeReadBlocksReply(data: Uint8Array): FeigBlocks {
  if (data.length < 2)
    throw new FeigFrameError('feig_bad_reply', 'read blocks reply without DB-N and DB-SIZE');
  const count = data[0]!;
  const blockSize = data[1]!;
  if (blockSize < 1 || data.length < 2 + count * (blockSize + 1))
    throw new FeigFrameError('feig_bad_reply', 'read blocks reply shorter than its blocks');
  const blocks: Uint8Array[] = [];
  const securityStatus: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = 2 + i * (blockSize + 1);
    securityStatus.push(data[at]!);
    blocks.push(Uint8Array.from(data.subarray(at + 1, at + 1 + blockSize)).reverse());
  }
  return { blockSize, blocks, securityStatus };
}

export function encodeReadBlocksReply(reply: FeigBlocks): Uint8Array {
  return Uint8Array.from([
    reply.blocks.length,
    reply.blockSize,
    ...reply.blocks.flatMap((block, i) => [reply.securityStatus[i] ?? 0, ...reversedBlock(block)]),
  ]);
}

/** Get system info reply DATA after STATUS: `DSFID UID(8) AFI MEM-SIZE(2: blockSize-1, blocks-1) IC-REF`. */
export function decodeSystemInfoReply(data: Uint8Array): Required<SystemInfo> {
  if (data.length < 13) throw new FeigFrameError('feig_bad_reply', 'system info reply shorter than 13 bytes');
  return {
    dsfid: data[0]!,
    uid: uidFromMsbFirst(data, 1),
    afi: data[9]!,
    blockSize: (data[10]! & 0x1f) + 1,
    blockCount: data[11]! + 1,
    icReference: data[12]!,
  };
}

export function encodeSystemInfoReply(info: Required<SystemInfo>): Uint8Array {
  return Uint8Array.from([
    info.dsfid,
    ...uidToMsbFirst(info.uid),
    info.afi,
    (info.blockSize - 1) & 0x1f,
    (info.blockCount - 1) & 0xff,
    info.icReference,
  ]);
}
