/**
 * A 3M 810 staff pad (19200 8N1) over its serial protocol. It has no Get System Info and
 * no EAS commands: memory size comes from configuration and security is by AFI only.
 */
import { PeerError } from '../../core/errors.js';
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import {
  decodeInventoryReply,
  decodeProbeReply,
  decodeReadAfiReply,
  decodeReadBlocksReply,
  encodeThreeMFrame,
  encodeThreeMRequest,
  replyBody,
  replyCommandOf,
  THREEM_BLOCK_SIZE,
  THREEM_SOF,
  type ThreeMFrame,
  ThreeMFrameParser,
  type ThreeMRequest,
  ThreeMStatusError,
} from '../../protocols/threem/index.js';
import {
  type ReaderCapabilities,
  type ReaderIdentity,
  type RfidReader,
  RfidReaderError,
  type TagSighting,
} from './reader.js';
import { ReaderShell, type ReaderShellOptions } from './reader-shell.js';

export const THREEM_SERIAL_DEFAULTS = { baudRate: 19200, dataBits: 8, parity: 'none', stopBits: 1 } as const;

export interface ThreeMReaderOptions extends ReaderShellOptions {
  /** Blocks of user memory reported by systemInfo() (the pad cannot ask the tag). Default 28. */
  blockCount?: number;
}

export class ThreeMReader extends ReaderShell<ThreeMFrame> implements RfidReader {
  readonly capabilities: ReaderCapabilities = {
    eas: false,
    systemInfo: false,
    lockBlocks: false,
    writeDsfid: false,
  };
  private readonly blockCount: number;

  constructor(options: ThreeMReaderOptions) {
    // After a command gave up on its reply: the probe, answered under a start byte of its own (D5),
    // tells that every late reply has come (a read-AFI reply is not checked for its tag).
    super(options, new ThreeMFrameParser(), 16, {
      bytes: encodeThreeMFrame(encodeThreeMRequest({ kind: 'probe' })),
      accepts: (frame) => answers({ kind: 'probe' }, frame),
    });
    this.blockCount = options.blockCount ?? 28;
  }

  protected async identify(): Promise<ReaderIdentity> {
    const reply = await this.command({ kind: 'probe' }, this.timeouts.other, 'probe');
    return { protocol: '3m', firmware: decodeProbeReply(reply) };
  }

  protected isCorruptReply(error: unknown): boolean {
    return (
      error instanceof PeerError && error.code.startsWith('threem_') && !(error instanceof ThreeMStatusError)
    );
  }

  /** The pad has no AFI filter: with `afi`, each tag's AFI is read and compared. */
  async inventory(afi?: number): Promise<TagSighting[]> {
    const reply = await this.command({ kind: 'inventory' }, this.timeouts.inventory, 'inventory');
    const uids = decodeInventoryReply(reply);
    if (afi === undefined) return uids.map((uid) => ({ uid }));
    const matching: TagSighting[] = [];
    for (const uid of uids) {
      const tagAfi = await this.readAfi(uid).catch(() => undefined);
      if (tagAfi === afi) matching.push({ uid });
    }
    return matching;
  }

  async systemInfo(uid: TagUid): Promise<SystemInfo> {
    return { uid, afi: await this.readAfi(uid), blockSize: THREEM_BLOCK_SIZE, blockCount: this.blockCount };
  }

  async readBlocks(uid: TagUid, first: number, count: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let at = first; at < first + count; at += this.maxBlocksPerRead) {
      const n = Math.min(this.maxBlocksPerRead, first + count - at);
      const reply = await this.command(
        { kind: 'readBlocks', uid, first: at, count: n },
        this.timeouts.read,
        'read blocks',
      );
      const { data } = decodeReadBlocksReply(reply, uid);
      if (data.length !== n * THREEM_BLOCK_SIZE)
        throw new RfidReaderError('rfid_bad_reply', `asked ${n} blocks, got ${data.length / 4}`);
      parts.push(data);
    }
    return Buffer.concat(parts);
  }

  async writeBlocks(uid: TagUid, first: number, data: Uint8Array): Promise<void> {
    if (data.length === 0 || data.length % THREEM_BLOCK_SIZE !== 0)
      throw new RfidReaderError('rfid_bad_reply', 'write data must be whole 4-byte blocks');
    const step = this.maxBlocksPerRead * THREEM_BLOCK_SIZE;
    for (let at = 0; at < data.length; at += step) {
      await this.command(
        { kind: 'writeBlocks', uid, first: first + at / THREEM_BLOCK_SIZE, data: data.slice(at, at + step) },
        this.timeouts.write,
        'write blocks',
      );
    }
  }

  lockBlocks(): Promise<void> {
    return Promise.reject(new RfidReaderError('rfid_unsupported', 'the 3M pad cannot lock blocks'));
  }

  async readAfi(uid: TagUid): Promise<number> {
    return decodeReadAfiReply(await this.command({ kind: 'readAfi', uid }, this.timeouts.read, 'read AFI'));
  }

  async writeAfi(uid: TagUid, afi: number): Promise<void> {
    await this.command({ kind: 'writeAfi', uid, afi }, this.timeouts.write, 'write AFI');
  }

  writeDsfid(): Promise<void> {
    return Promise.reject(new RfidReaderError('rfid_unsupported', 'the 3M pad cannot write a tag’s DSFID'));
  }

  setEas(): Promise<void> {
    return Promise.reject(new RfidReaderError('rfid_unsupported', 'the 3M pad has no EAS commands'));
  }

  resetEas(): Promise<void> {
    return this.setEas();
  }

  easAlarm(): Promise<boolean> {
    return Promise.reject(new RfidReaderError('rfid_unsupported', 'the 3M pad has no EAS commands'));
  }

  private async command(request: ThreeMRequest, timeoutMs: number, what: string): Promise<ThreeMFrame> {
    const expected = replyCommandOf(request);
    return this.exchange(
      encodeThreeMFrame(encodeThreeMRequest(request)),
      (frame) => answers(request, frame),
      timeoutMs,
      what,
      (reply) => {
        if (request.kind !== 'probe') replyBody(reply, expected);
      },
    );
  }
}

/** Whether `frame` is the reply to `request`: its command echoed, under the probe's start byte (D5) or a command's (D6). */
function answers(request: ThreeMRequest, frame: ThreeMFrame): boolean {
  const start = request.kind === 'probe' ? THREEM_SOF.probe : THREEM_SOF.command;
  return frame.start === start && frame.payload[0] === replyCommandOf(request);
}
