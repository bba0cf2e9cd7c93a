/**
 * A FEIG ID ISC reader (MR/LR/CPR families) over the advanced host protocol, on a serial
 * line (38400 8E1 by default) or TCP (port 10001). Commands go one at a time; each has
 * its own timeout; reader statuses become typed errors (FeigStatusError).
 */
import { PeerError } from '../../core/errors.js';
import {
  decodeFeigReply,
  decodeInventoryReply,
  decodeReadBlocksReply,
  decodeSoftwareVersion,
  decodeSystemInfoReply,
  encodeFeigFrame,
  encodeIsoRequest,
  FEIG_COMMAND,
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
import type { ReaderCapabilities, ReaderIdentity, RfidReader, TagSighting } from './reader.js';
import { RfidReaderError } from './reader.js';
import { ReaderShell, type ReaderShellOptions } from './reader-shell.js';

/** Serial settings FEIG readers ship with. */
export const FEIG_SERIAL_DEFAULTS = { baudRate: 38400, dataBits: 8, parity: 'even', stopBits: 1 } as const;
export const FEIG_TCP_PORT = 10001;

export { DEFAULT_RFID_TIMEOUTS, type RfidTimeouts } from './reader-shell.js';

export interface FeigReaderOptions extends ReaderShellOptions {
  /** COM-ADR of the reader; 0xFF (any) by default. */
  address?: number;
}

const MAX_MORE_DATA_ROUNDS = 16;

export class FeigReader extends ReaderShell<FeigFrame> implements RfidReader {
  readonly capabilities: ReaderCapabilities = {
    eas: true,
    systemInfo: true,
    lockBlocks: true,
    writeDsfid: true,
  };
  private readonly address: number;
  /** The pad's inventory request, several times a second: the same bytes each time, encoded once. */
  private readonly inventoryRequest: Uint8Array;

  constructor(options: FeigReaderOptions) {
    // After a command gave up on its reply: the software version, answered under a command byte of
    // its own, tells that every late reply has come (each ISO host command is answered under 0xB0).
    super(options, new FeigFrameParser(), 32, {
      bytes: encodeFeigFrame(softwareVersionRequest(options.address ?? 0xff)),
      accepts: (frame) => frame.command === FEIG_COMMAND.softwareVersion,
    });
    this.address = options.address ?? 0xff;
    this.inventoryRequest = this.encode(encodeIsoRequest({ kind: 'inventory', more: false }));
  }

  protected async identify(): Promise<ReaderIdentity> {
    const reply = await this.command(
      softwareVersionRequest(this.address),
      this.timeouts.other,
      'software version',
    );
    return { protocol: 'feig', firmware: decodeSoftwareVersion(reply.data).revision };
  }

  protected isCorruptReply(error: unknown): boolean {
    return (
      error instanceof PeerError && error.code.startsWith('feig_') && !(error instanceof FeigStatusError)
    );
  }

  async inventory(afi?: number): Promise<TagSighting[]> {
    const seen = new Map<TagUid, TagSighting>();
    let more = false;
    for (let round = 0; round < MAX_MORE_DATA_ROUNDS; round++) {
      const reply = await this.inventoryRound(afi, more);
      if (reply.status === FEIG_STATUS.noTransponder) break;
      for (const entry of decodeInventoryReply(reply.data))
        seen.set(entry.uid, { uid: entry.uid, dsfid: entry.dsfid });
      if (reply.status !== FEIG_STATUS.moreData) break;
      more = true;
    }
    return [...seen.values()];
  }

  /** One inventory request; an empty pad answers "no transponder": the inventory's answer, not an error. */
  private inventoryRound(afi: number | undefined, more: boolean): Promise<FeigReply> {
    if (!more && afi === undefined)
      return this.requestBytes(
        this.inventoryRequest,
        FEIG_COMMAND.isoHost,
        this.timeouts.inventory,
        'inventory',
        FEIG_STATUS.noTransponder,
      );
    return this.iso(
      { kind: 'inventory', more, ...(afi === undefined ? {} : { afi }) },
      this.timeouts.inventory,
      'inventory',
      FEIG_STATUS.noTransponder,
    );
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

  async writeDsfid(uid: TagUid, dsfid: number): Promise<void> {
    await this.iso({ kind: 'writeDsfid', uid, dsfid }, this.timeouts.write, 'write DSFID');
  }

  async setEas(uid: TagUid): Promise<void> {
    await this.iso({ kind: 'eas', command: 'set', uid }, this.timeouts.write, 'set EAS');
  }

  async resetEas(uid: TagUid): Promise<void> {
    await this.iso({ kind: 'eas', command: 'reset', uid }, this.timeouts.write, 'reset EAS');
  }

  async easAlarm(uid: TagUid): Promise<boolean> {
    const reply = await this.iso(
      { kind: 'eas', command: 'alarm', uid },
      this.timeouts.other,
      'EAS alarm',
      FEIG_STATUS.noTransponder,
    );
    if (reply.status !== FEIG_STATUS.noTransponder) return true;
    // Silent: EAS off, or the tag is gone. Only a tag that still answers proves "off".
    await this.systemInfo(uid);
    return false;
  }

  /** `expected`: a status answered as the command's answer, not thrown (decodeFeigReply). */
  private iso(
    request: FeigIsoRequest,
    timeoutMs: number,
    what: string,
    expected?: number,
  ): Promise<FeigReply> {
    const { command, data } = encodeIsoRequest(request);
    return this.command({ address: this.address, command, data }, timeoutMs, what, expected);
  }

  /** The frame of an ISO host request to this reader. */
  private encode({ command, data }: { command: number; data: Uint8Array }): Uint8Array {
    return encodeFeigFrame({ address: this.address, command, data });
  }

  private command(frame: FeigFrame, timeoutMs: number, what: string, expected?: number): Promise<FeigReply> {
    return this.requestBytes(encodeFeigFrame(frame), frame.command, timeoutMs, what, expected);
  }

  /** Sends an encoded request and waits for the reply to its `command`. */
  private async requestBytes(
    bytes: Uint8Array,
    command: number,
    timeoutMs: number,
    what: string,
    expected?: number,
  ): Promise<FeigReply> {
    const reply = await this.exchange(bytes, (candidate) => candidate.command === command, timeoutMs, what);
    return decodeFeigReply(reply, expected);
  }
}
