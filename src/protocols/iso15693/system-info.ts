/** The Get System Info (0x2B) reply body, from the info-flags byte on. */
import { Iso15693Error } from './errors.js';
import { type TagUid, uidFromWire, uidToWire } from './uid.js';

export interface SystemInfo {
  uid: TagUid;
  /** Data storage format id, when the tag reports one (0x06 ISO 28560-2, 0x3E ISO 28560-3). */
  dsfid?: number;
  afi?: number;
  /** Bytes per block (1..32). */
  blockSize?: number;
  /** Number of blocks (1..256). */
  blockCount?: number;
  icReference?: number;
}

export const SYSTEM_INFO_FLAGS = { dsfid: 0x01, afi: 0x02, memorySize: 0x04, icReference: 0x08 } as const;

/**
 * Parses `infoFlags UID(8, LSB first) [DSFID] [AFI] [blocks-1, blockSize-1] [IC ref]`.
 * `03 55 44 33 22 11 00 04 E0 00 07` → UID E004001122334455, DSFID 00, AFI 07.
 */
export function parseSystemInfo(body: Uint8Array): SystemInfo {
  if (body.length < 9) throw new Iso15693Error('iso15693_truncated', 'system info needs flags and a UID');
  const flags = body[0]!;
  const info: SystemInfo = { uid: uidFromWire(body, 1) };
  let at = 9;
  const take = (n: number, what: string): number => {
    if (body.length < at + n)
      throw new Iso15693Error('iso15693_truncated', `system info ends before the ${what}`);
    const start = at;
    at += n;
    return start;
  };
  if (flags & SYSTEM_INFO_FLAGS.dsfid) info.dsfid = body[take(1, 'DSFID')]!;
  if (flags & SYSTEM_INFO_FLAGS.afi) info.afi = body[take(1, 'AFI')]!;
  if (flags & SYSTEM_INFO_FLAGS.memorySize) {
    const i = take(2, 'memory size');
    info.blockCount = body[i]! + 1;
    info.blockSize = (body[i + 1]! & 0x1f) + 1;
  }
  if (flags & SYSTEM_INFO_FLAGS.icReference) info.icReference = body[take(1, 'IC reference')]!;
  return info;
}

/** The reverse of parseSystemInfo, for simulators and tests. */
export function encodeSystemInfo(info: SystemInfo): Uint8Array {
  let flags = 0;
  const tail: number[] = [];
  if (info.dsfid !== undefined) {
    flags |= SYSTEM_INFO_FLAGS.dsfid;
    tail.push(info.dsfid & 0xff);
  }
  if (info.afi !== undefined) {
    flags |= SYSTEM_INFO_FLAGS.afi;
    tail.push(info.afi & 0xff);
  }
  if (info.blockCount !== undefined && info.blockSize !== undefined) {
    flags |= SYSTEM_INFO_FLAGS.memorySize;
    tail.push((info.blockCount - 1) & 0xff, (info.blockSize - 1) & 0x1f);
  }
  if (info.icReference !== undefined) {
    flags |= SYSTEM_INFO_FLAGS.icReference;
    tail.push(info.icReference & 0xff);
  }
  return Uint8Array.from([flags, ...uidToWire(info.uid), ...tail]);
}
