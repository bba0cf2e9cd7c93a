/**
 * A FEIG ID ISC reader (MR/LR/CPR families) over the advanced host protocol, on a serial
 * line (38400 8E1 by default) or TCP (port 10001). Commands go one at a time; each has
 * its own timeout; reader statuses become typed errors (FeigStatusError).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import { PeerError } from '../../core/errors.js';
import {
  decodeFeigReply,
  decodeInventoryReply,
  decodeReadBlocksReply,
  decodeSoftwareVersion,
  decodeSystemInfoReply,
  encodeFeigFrame,
  encodeIsoRequest,
  FEIG_STATUS,
  type FeigFrame,
  FeigFrameParser,
  type FeigIsoRequest,
  type FeigReply,
  FeigStatusError,
  softwareVersionRequest,
} from '../../protocols/feig/index.js';
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import type { Transport } from '../transport/transport.js';
import type { ReaderCapabilities, ReaderIdentity, RfidReader, TagSighting } from './reader.js';
import { RfidReaderError } from './reader.js';
import { ReaderLink } from './reader-link.js';

/** Serial settings FEIG readers ship with. */
export const FEIG_SERIAL_DEFAULTS = { baudRate: 38400, dataBits: 8, parity: 'even', stopBits: 1 } as const;
export const FEIG_TCP_PORT = 10001;

export interface RfidTimeouts {
  inventory: number;
  read: number;
  write: number;
  other: number;
}

/**
 * How long each kind of command may go unanswered. An inventory, which the pad
 * sends every round, is answered within a few hundred milliseconds even with a
 * stack of tags on the pad; its timeout bounds how fast a hung reader is seen
 * (see RfidPadOptions.hungAfterMissedReplies). Raise it for long-range readers.
 */
export const DEFAULT_RFID_TIMEOUTS: RfidTimeouts = { inventory: 750, read: 1500, write: 2000, other: 1000 };

export interface FeigReaderOptions {
  transport: Transport;
  clock: Clock;
  /** COM-ADR of the reader; 0xFF (any) by default. */
  address?: number;
  timeouts?: Partial<RfidTimeouts>;
  /** Blocks per read command (the reader's buffer bounds it). Default 32. */
  maxBlocksPerRead?: number;
  /** Retries after a corrupt reply (CRC error). Default 2. */
  corruptReplyRetries?: number;
}

const MAX_MORE_DATA_ROUNDS = 16;

export class FeigReader extends EventEmitter implements RfidReader {
  readonly capabilities: ReaderCapabilities = { eas: true, systemInfo: true, lockBlocks: true };
  private readonly transport: Transport;
  private readonly link: ReaderLink<FeigFrame>;
  private readonly address: number;
  private readonly timeouts: RfidTimeouts;
  private readonly maxBlocksPerRead: number;
  private readonly retries: number;

  constructor(options: FeigReaderOptions) {
    super();
    this.transport = options.transport;
    this.address = options.address ?? 0xff;
    this.timeouts = { ...DEFAULT_RFID_TIMEOUTS, ...options.timeouts };
    this.maxBlocksPerRead = Math.max(1, Math.min(options.maxBlocksPerRead ?? 32, 255));
    this.retries = Math.max(0, options.corruptReplyRetries ?? 2);
    this.link = new ReaderLink(options.transport, options.clock, new FeigFrameParser());
    this.transport.on('close', (error) => this.emit('close', error));
  }

  get description(): string {
    return this.transport.description;
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  get unansweredInARow(): number {
    return this.link.unanswered;
  }

  /** Frames received corrupt since start (a noisy line shows here). */
  get frameErrors(): number {
    return this.link.frameErrors;
  }

  async open(): Promise<ReaderIdentity> {
    await this.transport.open();
    try {
      const reply = await this.command(
        softwareVersionRequest(this.address),
        this.timeouts.other,
        'software version',
      );
      const version = decodeSoftwareVersion(reply.data);
      return { protocol: 'feig', firmware: version.revision };
    } catch (error) {
      await this.transport.close();
      throw error;
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  async inventory(afi?: number): Promise<TagSighting[]> {
    const seen = new Map<TagUid, TagSighting>();
    let more = false;
    for (let round = 0; round < MAX_MORE_DATA_ROUNDS; round++) {
      let reply: FeigReply;
      try {
        reply = await this.iso(
          { kind: 'inventory', more, ...(afi === undefined ? {} : { afi }) },
          this.timeouts.inventory,
          'inventory',
        );
      } catch (error) {
        if (error instanceof FeigStatusError && error.status === FEIG_STATUS.noTransponder) break;
        throw error;
      }
      for (const entry of decodeInventoryReply(reply.data))
        seen.set(entry.uid, { uid: entry.uid, dsfid: entry.dsfid });
      if (reply.status !== FEIG_STATUS.moreData) break;
      more = true;
    }
    return [...seen.values()];
  }

  async systemInfo(uid: TagUid): Promise<SystemInfo> {
    const reply = await this.iso({ kind: 'systemInfo', uid }, this.timeouts.read, 'get system info');
    return decodeSystemInfoReply(reply.data);
  }

  async readBlocks(uid: TagUid, first: number, count: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let at = first; at < first + count; at += this.maxBlocksPerRead) {
      const n = Math.min(this.maxBlocksPerRead, first + count - at);
      const reply = await this.iso(
        { kind: 'readBlocks', uid, first: at, count: n },
        this.timeouts.read,
        'read blocks',
      );
      const blocks = decodeReadBlocksReply(reply.data);
      if (blocks.blocks.length !== n)
        throw new RfidReaderError('rfid_bad_reply', `asked ${n} blocks, got ${blocks.blocks.length}`);
      parts.push(...blocks.blocks);
    }
    return Buffer.concat(parts);
  }

  async writeBlocks(uid: TagUid, first: number, data: Uint8Array, blockSize = 4): Promise<void> {
    if (data.length === 0 || data.length % blockSize !== 0)
      throw new RfidReaderError('rfid_bad_reply', `write data must be whole ${blockSize}-byte blocks`);
    const blocks: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += blockSize) blocks.push(data.slice(at, at + blockSize));
    // Write in chunks the size the reader reads in.
    for (let i = 0; i < blocks.length; i += this.maxBlocksPerRead) {
      const chunk = blocks.slice(i, i + this.maxBlocksPerRead);
      await this.iso(
        { kind: 'writeBlocks', uid, first: first + i, blockSize, blocks: chunk },
        this.timeouts.write,
        'write blocks',
      );
    }
  }

  async lockBlocks(uid: TagUid, first: number, count: number): Promise<void> {
    await this.iso({ kind: 'lockBlocks', uid, first, count }, this.timeouts.write, 'lock blocks');
  }

  async readAfi(uid: TagUid): Promise<number> {
    const reply = await this.iso({ kind: 'systemInfo', uid }, this.timeouts.read, 'get system info');
    return decodeSystemInfoReply(reply.data).afi;
  }

  async writeAfi(uid: TagUid, afi: number): Promise<void> {
    await this.iso({ kind: 'writeAfi', uid, afi }, this.timeouts.write, 'write AFI');
  }

  async setEas(uid: TagUid): Promise<void> {
    await this.iso({ kind: 'eas', command: 'set', uid }, this.timeouts.write, 'set EAS');
  }

  async resetEas(uid: TagUid): Promise<void> {
    await this.iso({ kind: 'eas', command: 'reset', uid }, this.timeouts.write, 'reset EAS');
  }

  async easAlarm(uid: TagUid): Promise<boolean> {
    try {
      await this.iso({ kind: 'eas', command: 'alarm', uid }, this.timeouts.other, 'EAS alarm');
      return true;
    } catch (error) {
      if (!(error instanceof FeigStatusError) || error.status !== FEIG_STATUS.noTransponder) throw error;
    }
    // Silent: EAS off, or the tag is gone. Only a tag that still answers proves "off".
    await this.systemInfo(uid);
    return false;
  }

  private iso(request: FeigIsoRequest, timeoutMs: number, what: string): Promise<FeigReply> {
    const { command, data } = encodeIsoRequest(request);
    return this.command({ address: this.address, command, data }, timeoutMs, what);
  }

  private async command(frame: FeigFrame, timeoutMs: number, what: string): Promise<FeigReply> {
    const bytes = encodeFeigFrame(frame);
    const accepts = (reply: FeigFrame) => reply.command === frame.command;
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.link.request(bytes, accepts, timeoutMs, what);
        return decodeFeigReply(reply);
      } catch (error) {
        const corrupt =
          error instanceof PeerError && error.code.startsWith('feig_') && !(error instanceof FeigStatusError);
        if (!corrupt || attempt >= this.retries) throw error;
      }
    }
  }
}
