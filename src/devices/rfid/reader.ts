/**
 * What Carrel needs from an HF library RFID reader, whatever its host protocol.
 * UIDs are in the printed form (`E004…`); block data in logical order (block 0 byte 0 first).
 */
import { CarrelError } from '../../core/errors.js';
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';

export interface TagSighting {
  uid: TagUid;
  /** From the inventory reply when the reader reports it. */
  dsfid?: number;
}

export interface ReaderIdentity {
  /** `feig` or `3m`. */
  protocol: string;
  /** Firmware / hardware version as the reader reports it. */
  firmware: string;
}

export interface ReaderCapabilities {
  /** NXP EAS commands (set/reset/alarm). */
  eas: boolean;
  /** Get System Info from the tag (else memory size comes from configuration). */
  systemInfo: boolean;
  /** Locking data blocks. */
  lockBlocks: boolean;
  /** Writing the tag's DSFID (ISO 15693 Write DSFID); the 3M 810's command set has none. */
  writeDsfid: boolean;
}

export interface RfidReader {
  readonly description: string;
  readonly capabilities: ReaderCapabilities;
  readonly isOpen: boolean;
  /** Commands in a row the reader sent no reply to at all (0 after any reply, and on a new connection). */
  readonly unansweredInARow: number;
  /** Corrupt frames received since start (a noisy line shows here). */
  readonly frameErrors: number;
  /** Opens the transport and checks the reader answers. */
  open(): Promise<ReaderIdentity>;
  close(): Promise<void>;
  /** Tags in the field; with `afi`, only tags carrying that AFI. */
  inventory(afi?: number): Promise<TagSighting[]>;
  systemInfo(uid: TagUid): Promise<SystemInfo>;
  /** `count` blocks from `first`, joined in logical order. */
  readBlocks(uid: TagUid, first: number, count: number): Promise<Uint8Array>;
  /** Whole blocks from `first`. */
  writeBlocks(uid: TagUid, first: number, data: Uint8Array): Promise<void>;
  lockBlocks(uid: TagUid, first: number, count: number): Promise<void>;
  readAfi(uid: TagUid): Promise<number>;
  writeAfi(uid: TagUid, afi: number): Promise<void>;
  writeDsfid(uid: TagUid, dsfid: number): Promise<void>;
  setEas(uid: TagUid): Promise<void>;
  resetEas(uid: TagUid): Promise<void>;
  /** True when the tag answers the EAS alarm (EAS set); false when it is present but silent. */
  easAlarm(uid: TagUid): Promise<boolean>;
  on(event: 'close', listener: (error: Error | undefined) => void): this;
  off(event: 'close', listener: (error: Error | undefined) => void): this;
}

export type RfidReaderErrorCode =
  | 'rfid_unsupported'
  | 'rfid_not_open'
  | 'rfid_bad_reply'
  | 'rfid_verify_failed'
  /** A write whose replies all came garbled, and the tag not read back: whether it was written is not known. */
  | 'rfid_write_unknown'
  /** An inventory asked for now failed every round it was given. */
  | 'rfid_inventory_failed'
  /** The reader answered none of several commands in a row: hung, its link closed and opened again. */
  | 'rfid_not_answering';

/** Driver-level errors that are not a reader status (those keep the protocol's error class). */
export class RfidReaderError extends CarrelError {
  constructor(code: RfidReaderErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Error codes meaning "the tag was not there to answer": it was pulled off the pad, or the
 * RF link to it failed. A security write that fails with one of these is retried later.
 */
export const TAG_ABSENT_CODES: ReadonlySet<string> = new Set([
  'rfid_no_transponder',
  'rfid_rf_communication',
  'rfid_iso_error',
  'rfid_data_false',
  'rfid_verify_failed',
  'timeout',
]);

export function isTagAbsentError(error: unknown): boolean {
  return error instanceof CarrelError && TAG_ABSENT_CODES.has(error.code);
}
