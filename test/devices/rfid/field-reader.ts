import { EventEmitter } from 'node:events';
import type { PadField, TagResult } from '../../../simulators/rfid-pad/index.js';
import { CarrelError } from '../../../src/core/errors.js';
import type { ReaderIdentity, RfidReader, TagSighting } from '../../../src/devices/rfid/index.js';
import type { SystemInfo } from '../../../src/protocols/iso15693/index.js';

/** An RfidReader straight onto the simulated field, no transport: for ManualClock tests. */
export class FieldReader extends EventEmitter implements RfidReader {
  readonly description = 'field://test';
  readonly capabilities = { eas: true, systemInfo: true, lockBlocks: true, writeDsfid: true };
  isOpen = false;
  unansweredInARow = 0;
  frameErrors = 0;
  readonly calls: string[] = [];

  constructor(private readonly field: PadField) {
    super();
  }

  async open(): Promise<ReaderIdentity> {
    this.isOpen = true;
    return { protocol: 'test', firmware: '1' };
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  async inventory(afi?: number): Promise<TagSighting[]> {
    this.calls.push('inventory');
    return this.field.inventory(afi).map((t) => ({ uid: t.uid, dsfid: t.dsfid }));
  }

  async systemInfo(uid: string): Promise<SystemInfo> {
    this.calls.push(`systemInfo ${uid}`);
    const tag = take(this.field.present(uid));
    return { uid, dsfid: tag.dsfid, afi: tag.afi, blockSize: tag.blockSize, blockCount: tag.blockCount };
  }

  async readBlocks(uid: string, first: number, count: number): Promise<Uint8Array> {
    this.calls.push(`readBlocks ${uid}`);
    return Buffer.concat(take(this.field.readBlocks(uid, first, count)).blocks);
  }

  async writeBlocks(uid: string, first: number, data: Uint8Array): Promise<void> {
    this.calls.push(`writeBlocks ${uid}`);
    const blocks: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += 4) blocks.push(data.slice(at, at + 4));
    take(this.field.writeBlocks(uid, first, blocks));
  }

  async lockBlocks(uid: string, first: number, count: number): Promise<void> {
    this.calls.push(`lockBlocks ${uid}`);
    take(this.field.lockBlocks(uid, first, count));
  }

  async readAfi(uid: string): Promise<number> {
    return take(this.field.present(uid)).afi;
  }

  async writeAfi(uid: string, afi: number): Promise<void> {
    this.calls.push(`writeAfi ${uid} ${afi}`);
    take(this.field.writeAfi(uid, afi));
  }

  async writeDsfid(uid: string, dsfid: number): Promise<void> {
    this.calls.push(`writeDsfid ${uid} ${dsfid}`);
    take(this.field.writeDsfid(uid, dsfid));
  }

  async setEas(uid: string): Promise<void> {
    take(this.field.setEas(uid, true));
  }

  async resetEas(uid: string): Promise<void> {
    take(this.field.setEas(uid, false));
  }

  async easAlarm(uid: string): Promise<boolean> {
    return take(this.field.present(uid)).eas;
  }
}

function take<T>(result: TagResult<T>): T {
  if (result.ok) return result.value;
  throw new CarrelError(
    result.fault.kind === 'locked' ? 'rfid_write_protect' : 'rfid_no_transponder',
    result.fault.kind,
  );
}
