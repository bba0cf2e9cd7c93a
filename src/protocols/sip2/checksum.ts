/**
 * SIP2 error detection: `AY<digit>AZ<4 hex>` at the end of a message. The checksum
 * is the 16-bit two's complement of the sum of the bytes on the wire (in the
 * connection's charset) from the first character through `AZ`.
 */

/** The checksum of `bytes[start, end)` as a number 0..0xFFFF. */
export function sip2ChecksumValue(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return -sum & 0xffff;
}

const HEX = '0123456789ABCDEF';

/** The checksum as 4 upper-case hex digits, e.g. `sip2Checksum(bytes of '96AZ') === 'FEF6'`. */
export function sip2Checksum(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const value = sip2ChecksumValue(bytes, start, end);
  return HEX[(value >> 12) & 15]! + HEX[(value >> 8) & 15]! + HEX[(value >> 4) & 15]! + HEX[value & 15]!;
}

/** Whether sum(bytes[start, end)) + checksum ≡ 0 mod 65536. */
export function verifySip2Checksum(
  bytes: Uint8Array,
  checksum: number,
  start = 0,
  end = bytes.length,
): boolean {
  let sum = checksum;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return (sum & 0xffff) === 0;
}

/** The next sequence number: 0–9, wrapping. */
export function nextSequence(sequence: number): number {
  return (sequence + 1) % 10;
}

/** Writes the 4 hex digits of a checksum into `out` at `offset` (ASCII). */
export function writeChecksumHex(out: Uint8Array, offset: number, value: number): void {
  out[offset] = HEX.charCodeAt((value >> 12) & 15);
  out[offset + 1] = HEX.charCodeAt((value >> 8) & 15);
  out[offset + 2] = HEX.charCodeAt((value >> 4) & 15);
  out[offset + 3] = HEX.charCodeAt(value & 15);
}

/** Reads 4 hex digits (either case) at `offset`; -1 when they are not hex. */
export function readChecksumHex(bytes: Uint8Array, offset: number): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const c = bytes[offset + i];
    let d: number;
    if (c === undefined) return -1;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return -1;
    value = (value << 4) | d;
  }
  return value;
}
