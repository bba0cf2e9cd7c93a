/**
 * What an uploaded photo is, read from its header alone — before anything decodes it, so a file that
 * is not an image, or a small file that claims a huge picture (a decompression bomb), is refused
 * without spending memory on it. PNG: the IHDR chunk right after the signature. JPEG: the first
 * start-of-frame marker (SOF0–SOF15 less DHT, JPG and DAC), found by walking the marker segments.
 */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The header of a PNG or JPEG, or undefined when the bytes are neither (or are cut short). */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const type = String.fromCharCode(...bytes.subarray(12, 16));
    if (type !== 'IHDR') return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 4 <= bytes.length) {
      if (bytes[at] !== 0xff) return undefined;
      const marker = bytes[at + 1]!;
      if (marker === 0xff) {
        at++;
        continue;
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        at += 2;
        continue;
      }
      if (marker === 0xd9 || marker === 0xda) return undefined; // image data before any frame header
      const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      if (length < 2) return undefined;
      const isFrame =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) {
        if (at + 9 > bytes.length) return undefined;
        const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
        const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
        return { format: 'jpeg', width, height };
      }
      at += 2 + length;
    }
  }
  return undefined;
}
