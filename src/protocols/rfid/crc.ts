/**
 * Table-driven CRC-16 engines used around library RFID: the ISO 28560-3 data-model CRC,
 * the ISO 15693 air CRC, the FEIG host-protocol frame CRC and the 3M 810 pad frame CRC.
 * Values are returned as numbers; the byte order on the wire is the caller's business
 * (see `crc16LowFirst` / `crc16HighFirst`).
 */

export interface Crc16Parameters {
  /** Catalogue name (reveng). */
  readonly name: string;
  /** Generator polynomial in normal (MSB-first) form, e.g. 0x1021. */
  readonly poly: number;
  readonly init: number;
  /** Input and output reflected (LSB-first processing). */
  readonly reflected: boolean;
  readonly xorOut: number;
}

function reflect16(value: number): number {
  let out = 0;
  for (let i = 0; i < 16; i++) if (value & (1 << i)) out |= 1 << (15 - i);
  return out;
}

/** One CRC-16 algorithm with its 256-entry table. Incremental: `update` then `finish`. */
export class Crc16 {
  readonly name: string;
  readonly initial: number;
  private readonly table = new Uint16Array(256);

  constructor(readonly parameters: Crc16Parameters) {
    this.name = parameters.name;
    this.initial = parameters.init & 0xffff;
    if (parameters.reflected) {
      const poly = reflect16(parameters.poly);
      for (let n = 0; n < 256; n++) {
        let crc = n;
        for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ poly : crc >>> 1;
        this.table[n] = crc;
      }
    } else {
      for (let n = 0; n < 256; n++) {
        let crc = n << 8;
        for (let bit = 0; bit < 8; bit++)
          crc = crc & 0x8000 ? ((crc << 1) ^ parameters.poly) & 0xffff : (crc << 1) & 0xffff;
        this.table[n] = crc;
      }
    }
  }

  /** Feeds `bytes[start..end)` into a running (un-finished) register value. */
  update(crc: number, bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
    const table = this.table;
    let value = crc;
    if (this.parameters.reflected) {
      for (let i = start; i < end; i++) value = (value >>> 8) ^ table[(value ^ (bytes[i] as number)) & 0xff]!;
    } else {
      for (let i = start; i < end; i++) {
        value = ((value << 8) & 0xffff) ^ table[((value >>> 8) ^ (bytes[i] as number)) & 0xff]!;
      }
    }
    return value;
  }

  finish(crc: number): number {
    return (crc ^ this.parameters.xorOut) & 0xffff;
  }

  compute(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
    return this.finish(this.update(this.initial, bytes, start, end));
  }
}

/** ISO 28560-3 / Danish data model: poly 0x1021, init 0xFFFF, not reflected, no final XOR. */
export const CRC16_IBM_3740 = new Crc16({
  name: 'CRC-16/IBM-3740',
  poly: 0x1021,
  init: 0xffff,
  reflected: false,
  xorOut: 0,
});
/** ISO 15693 air interface (ISO/IEC 13239): reflected 0x8408, init 0xFFFF, final XOR 0xFFFF. */
export const CRC16_ISO_15693 = new Crc16({
  name: 'CRC-16/ISO-IEC-14443-3-B',
  poly: 0x1021,
  init: 0xffff,
  reflected: true,
  xorOut: 0xffff,
});
/** FEIG host-protocol frames: reflected 0x8408, init 0xFFFF, no final XOR. */
export const CRC16_MCRF4XX = new Crc16({
  name: 'CRC-16/MCRF4XX',
  poly: 0x1021,
  init: 0xffff,
  reflected: true,
  xorOut: 0,
});
/** 3M 810 pad frames (and EPC Gen2 StoredCRC): poly 0x1021, init 0xFFFF, final XOR 0xFFFF, not reflected. */
export const CRC16_GENIBUS = new Crc16({
  name: 'CRC-16/GENIBUS',
  poly: 0x1021,
  init: 0xffff,
  reflected: false,
  xorOut: 0xffff,
});

export function crc16Ibm3740(bytes: ArrayLike<number>): number {
  return CRC16_IBM_3740.compute(bytes);
}

export function crc16Iso15693(bytes: ArrayLike<number>): number {
  return CRC16_ISO_15693.compute(bytes);
}

export function crc16Mcrf4xx(bytes: ArrayLike<number>): number {
  return CRC16_MCRF4XX.compute(bytes);
}

export function crc16Genibus(bytes: ArrayLike<number>): number {
  return CRC16_GENIBUS.compute(bytes);
}

/** The two bytes of a CRC value, low byte first (ISO 15693, FEIG, ISO 28560-3). */
export function crc16LowFirst(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff);
}

/** The two bytes of a CRC value, high byte first (3M 810). */
export function crc16HighFirst(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}
