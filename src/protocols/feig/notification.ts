/**
 * FEIG notification frames: what a gate reader in notification mode pushes to the host over
 * the TCP connection it opens, shaped like a `[0x22] Read Buffer` reply (the same record
 * format as buffered-read mode):
 *
 *   STATUS | TR-DATA1 | [TR-DATA2] | DATA-SETS(2) | record… (DATA of the frame)
 *   record = RECORD-LEN(2, counts itself) | [TR-TYPE IDD-IB IDD-LEN IDD] | [DB-N(2) DB-SIZE DB…]
 *            | [TIMER(4)] | [DATE(5)] | [ANT] [statistics(7)] | [INPUT(2)] | [MAC(6)]
 *            | [ANT-CNT (ANT RSSI PHASE(2) ?(2))…]
 *
 * TR-DATA1 bits from the FEIG ID ISC.LRU3000 manual §11.4; the TR-DATA2 fields and their order
 * from a public Python BRM/notification parser (code index, `brm_and_notif_parser`); TIMER as
 * hours, minutes, milliseconds(2) matches two reads 95 ms apart in gatealert's second sample.
 * Bytes whose meaning no source gives (the DATE layout, the last three statistics bytes, the last
 * two of each antenna entry, bytes after the known fields of a record) are kept as they came,
 * so a frame always re-encodes to itself.
 */
import { FeigFrameError } from './errors.js';
import type { FeigFrame } from './frame.js';

/** The command byte of a notification (and of a Read Buffer reply). */
export const FEIG_NOTIFICATION_COMMAND = 0x22;

export const TR_DATA1 = {
  idd: 0x01,
  dataBlocks: 0x02,
  /** Set: each data block comes least significant byte first (reversed). */
  lsbFirst: 0x08,
  antenna: 0x10,
  timer: 0x20,
  date: 0x40,
  /** TR-DATA2 follows. */
  extension: 0x80,
} as const;

export const TR_DATA2 = {
  input: 0x01,
  mac: 0x02,
  tagStatistics: 0x08,
  antennaExtension: 0x10,
} as const;

/** The reader's clock at the read (TR-DATA1 TIMER). */
export interface FeigReaderTime {
  hours: number;
  minutes: number;
  /** Milliseconds into the minute, 0..59999. */
  milliseconds: number;
}

export interface FeigTagStatistics {
  /** How often the tag was read. */
  reads: number;
  rssiMax: number;
  rssiAverage: number;
  /** Three more bytes, meaning not documented publicly. */
  rest: Uint8Array;
}

export interface FeigAntennaReading {
  antenna: number;
  rssi: number;
  /** Phase angle in units of 360/4096 degrees. */
  phase: number;
  /** Two more bytes, meaning not documented publicly. */
  rest: Uint8Array;
}

/** One tag read. Which fields are present follows TR-DATA1/TR-DATA2. */
export interface FeigTagRecord {
  /** TR-TYPE: 0x03 ISO 15693. */
  transponderType?: number;
  /** IDD-IB. */
  iddInfo?: number;
  /** The identifier (IDD) in upper-case hex as sent: an ISO 15693 UID MSB first, `E004…`. */
  uid?: string;
  /** User memory from the first block read, in logical order (block 0 byte 0 first). */
  blocks?: { count: number; size: number; memory: Uint8Array };
  timer?: FeigReaderTime;
  /** DATE, 5 bytes as sent (layout not verified). */
  date?: Uint8Array;
  antenna?: number;
  statistics?: FeigTagStatistics;
  /** INPUT, 2 bytes big-endian: the reader's digital inputs. */
  input?: number;
  /** MAC address of the reader, 6 bytes. */
  mac?: Uint8Array;
  antennas?: FeigAntennaReading[];
  /** Record bytes after every field the flags announce (a newer firmware's fields). */
  trailing?: Uint8Array;
}

export interface FeigNotification {
  status: number;
  trData1: number;
  /** Present exactly when TR-DATA1 has the extension flag. */
  trData2?: number;
  records: FeigTagRecord[];
}

class Cursor {
  at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
    private readonly what: string,
  ) {}
  get left(): number {
    return this.end - this.at;
  }
  take(n: number, field: string): Uint8Array {
    if (n > this.left)
      throw new FeigFrameError('feig_bad_notification', `${this.what}: ${field} runs past the end`);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(field: string): number {
    return this.take(1, field)[0]!;
  }
  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0]! << 8) | b[1]!;
  }
}

/** Decodes a notification's DATA (STATUS first). Throws FeigFrameError. */
export function decodeNotification(data: Uint8Array): FeigNotification {
  const header = new Cursor(data, data.length, 'notification');
  if (data.length < 4) throw new FeigFrameError('feig_truncated', 'notification shorter than its header');
  const status = header.u8('STATUS');
  const trData1 = header.u8('TR-DATA1');
  const trData2 = trData1 & TR_DATA1.extension ? header.u8('TR-DATA2') : undefined;
  const dataSets = header.u16('DATA-SETS');
  const records: FeigTagRecord[] = [];
  let at = header.at;
  for (let i = 0; i < dataSets; i++) {
    if (data.length - at < 2)
      throw new FeigFrameError('feig_bad_notification', `DATA-SETS says ${dataSets}, frame holds ${i}`);
    const length = (data[at]! << 8) | data[at + 1]!;
    if (length < 2 || at + length > data.length)
      throw new FeigFrameError(
        'feig_bad_notification',
        `record ${i + 1} of ${length} bytes runs past the frame`,
      );
    records.push(decodeRecord(data, at + 2, at + length, trData1, trData2 ?? 0, i + 1));
    at += length;
  }
  if (at !== data.length)
    throw new FeigFrameError(
      'feig_bad_notification',
      `${data.length - at} byte(s) after the ${dataSets} record(s) DATA-SETS announces`,
    );
  return { status, trData1, ...(trData2 === undefined ? {} : { trData2 }), records };
}

function decodeRecord(
  data: Uint8Array,
  start: number,
  end: number,
  tr1: number,
  tr2: number,
  index: number,
): FeigTagRecord {
  const c = new Cursor(data, end, `record ${index}`);
  c.at = start;
  const record: FeigTagRecord = {};
  if (tr1 & TR_DATA1.idd) {
    record.transponderType = c.u8('TR-TYPE');
    record.iddInfo = c.u8('IDD-IB');
    record.uid = hex(c.take(c.u8('IDD-LEN'), 'IDD'));
  }
  if (tr1 & TR_DATA1.dataBlocks) {
    const count = c.u16('DB-N');
    const size = c.u8('DB-SIZE');
    const memory = c.take(count * size, 'data blocks');
    if (tr1 & TR_DATA1.lsbFirst) reverseBlocks(memory, size);
    record.blocks = { count, size, memory };
  }
  if (tr1 & TR_DATA1.timer) {
    const t = c.take(4, 'TIMER');
    record.timer = { hours: t[0]!, minutes: t[1]!, milliseconds: (t[2]! << 8) | t[3]! };
  }
  if (tr1 & TR_DATA1.date) record.date = c.take(5, 'DATE');
  if (tr1 & TR_DATA1.antenna) record.antenna = c.u8('ANT');
  const extended = (tr1 & TR_DATA1.extension) !== 0;
  if (extended && tr2 & TR_DATA2.tagStatistics) {
    const s = c.take(7, 'tag statistics');
    record.statistics = {
      reads: (s[0]! << 8) | s[1]!,
      rssiMax: s[2]!,
      rssiAverage: s[3]!,
      rest: s.slice(4),
    };
  }
  if (extended && tr2 & TR_DATA2.input) record.input = c.u16('INPUT');
  if (extended && tr2 & TR_DATA2.mac) record.mac = c.take(6, 'MAC');
  if (extended && tr2 & TR_DATA2.antennaExtension) {
    const count = c.u8('ANT-CNT');
    const antennas: FeigAntennaReading[] = [];
    for (let i = 0; i < count; i++) {
      const a = c.take(6, 'antenna extension');
      antennas.push({ antenna: a[0]!, rssi: a[1]!, phase: (a[2]! << 8) | a[3]!, rest: a.slice(4) });
    }
    record.antennas = antennas;
  }
  if (c.left > 0) record.trailing = c.take(c.left, 'trailing bytes');
  return record;
}

/** Encodes a notification's DATA (STATUS first). Throws FeigFrameError for a record the flags do not fit. */
export function encodeNotification(notification: FeigNotification): Uint8Array {
  const { status, trData1, trData2, records } = notification;
  byte(status, 'STATUS');
  byte(trData1, 'TR-DATA1');
  const extended = (trData1 & TR_DATA1.extension) !== 0;
  if (extended !== (trData2 !== undefined))
    throw new FeigFrameError(
      'feig_bad_argument',
      'TR-DATA2 goes with the TR-DATA1 extension flag, and only then',
    );
  if (trData2 !== undefined) byte(trData2, 'TR-DATA2');
  if (records.length > 0xffff) throw new FeigFrameError('feig_bad_argument', 'more than 65535 records');
  const out: number[] = [status, trData1, ...(trData2 === undefined ? [] : [trData2])];
  out.push(records.length >>> 8, records.length & 0xff);
  records.forEach((record, i) => {
    const body = encodeRecord(record, trData1, trData2 ?? 0, i + 1);
    const length = body.length + 2;
    if (length > 0xffff) throw new FeigFrameError('feig_bad_argument', `record ${i + 1} is too long`);
    out.push(length >>> 8, length & 0xff, ...body);
  });
  return Uint8Array.from(out);
}

function encodeRecord(record: FeigTagRecord, tr1: number, tr2: number, index: number): number[] {
  const need = <T>(value: T | undefined, field: string): T => {
    if (value === undefined)
      throw new FeigFrameError('feig_bad_argument', `record ${index}: the flags announce ${field}`);
    return value;
  };
  const sized = (bytes: Uint8Array, n: number, field: string): number[] => {
    if (bytes.length !== n)
      throw new FeigFrameError('feig_bad_argument', `record ${index}: ${field} is ${n} bytes`);
    return Array.from(bytes);
  };
  const out: number[] = [];
  if (tr1 & TR_DATA1.idd) {
    const idd = fromHex(need(record.uid, 'an identifier (uid)'), index);
    out.push(
      byte(need(record.transponderType, 'TR-TYPE'), 'TR-TYPE'),
      byte(record.iddInfo ?? 0, 'IDD-IB'),
      idd.length,
      ...idd,
    );
  }
  if (tr1 & TR_DATA1.dataBlocks) {
    const { count, size, memory } = need(record.blocks, 'data blocks');
    if (
      !Number.isInteger(count) ||
      count < 0 ||
      count > 0xffff ||
      memory.length !== count * byte(size, 'DB-SIZE')
    )
      throw new FeigFrameError(
        'feig_bad_argument',
        `record ${index}: memory is not ${count} blocks of ${size}`,
      );
    const wire = Uint8Array.from(memory);
    if (tr1 & TR_DATA1.lsbFirst) reverseBlocks(wire, size);
    out.push(count >>> 8, count & 0xff, size, ...wire);
  }
  if (tr1 & TR_DATA1.timer) {
    const { hours, minutes, milliseconds } = need(record.timer, 'TIMER');
    out.push(byte(hours, 'hours'), byte(minutes, 'minutes'), ...u16(milliseconds, 'milliseconds'));
  }
  if (tr1 & TR_DATA1.date) out.push(...sized(need(record.date, 'DATE'), 5, 'DATE'));
  if (tr1 & TR_DATA1.antenna) out.push(byte(need(record.antenna, 'ANT'), 'ANT'));
  const extended = (tr1 & TR_DATA1.extension) !== 0;
  if (extended && tr2 & TR_DATA2.tagStatistics) {
    const s = need(record.statistics, 'tag statistics');
    out.push(...u16(s.reads, 'reads'), byte(s.rssiMax, 'RSSI'), byte(s.rssiAverage, 'RSSI'));
    out.push(...sized(s.rest, 3, 'the statistics rest'));
  }
  if (extended && tr2 & TR_DATA2.input) out.push(...u16(need(record.input, 'INPUT'), 'INPUT'));
  if (extended && tr2 & TR_DATA2.mac) out.push(...sized(need(record.mac, 'MAC'), 6, 'MAC'));
  if (extended && tr2 & TR_DATA2.antennaExtension) {
    const antennas = need(record.antennas, 'the antenna extension');
    out.push(byte(antennas.length, 'ANT-CNT'));
    for (const a of antennas)
      out.push(
        byte(a.antenna, 'antenna'),
        byte(a.rssi, 'RSSI'),
        ...u16(a.phase, 'phase'),
        ...sized(a.rest, 2, 'the antenna rest'),
      );
  }
  if (record.trailing) out.push(...record.trailing);
  return out;
}

/** A notification frame from the reader at COM-ADR `address`. */
export function notificationFrame(notification: FeigNotification, address = 0x00): FeigFrame {
  return { address, command: FEIG_NOTIFICATION_COMMAND, data: encodeNotification(notification) };
}

/** TR-DATA1 for records carrying what `record` carries (no extension fields). */
export function trData1For(record: FeigTagRecord, options: { lsbFirst?: boolean } = {}): number {
  let flags = 0;
  if (record.uid !== undefined) flags |= TR_DATA1.idd;
  if (record.blocks) flags |= TR_DATA1.dataBlocks;
  if (options.lsbFirst) flags |= TR_DATA1.lsbFirst;
  if (record.antenna !== undefined) flags |= TR_DATA1.antenna;
  if (record.timer) flags |= TR_DATA1.timer;
  if (record.date) flags |= TR_DATA1.date;
  return flags;
}

function reverseBlocks(memory: Uint8Array, size: number): void {
  if (size < 2) return;
  for (let at = 0; at + size <= memory.length; at += size) memory.subarray(at, at + size).reverse();
}

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new FeigFrameError('feig_bad_argument', `${what} must be a byte, got ${value}`);
  return value;
}

function u16(value: number, what: string): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new FeigFrameError('feig_bad_argument', `${what} must fit 16 bits, got ${value}`);
  return [value >>> 8, value & 0xff];
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out.toUpperCase();
}

function fromHex(text: string, index: number): Uint8Array {
  if (!/^([0-9A-Fa-f]{2}){0,255}$/.test(text))
    throw new FeigFrameError('feig_bad_argument', `record ${index}: uid must be hex, at most 255 bytes`);
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}
