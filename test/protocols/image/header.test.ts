import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../src/core/png.js';
import { readImageHeader } from '../../../src/protocols/image/header.js';

/** The start of a baseline JPEG: SOI, an APP0 (JFIF) segment, then SOF0 giving its size. */
function jpegHeader(width: number, height: number): Buffer {
  const app0 = [
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00,
  ];
  const sof0 = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0, 0x01, 0x22, 0x00]);
}

describe('image headers', () => {
  it('reads a PNG’s size from IHDR and a JPEG’s from its frame header, without decoding', () => {
    expect(readImageHeader(encodePng(new Uint8Array(4 * 6 * 4), 4, 6))).toEqual({
      format: 'png',
      width: 4,
      height: 6,
    });
    expect(readImageHeader(jpegHeader(4000, 3000))).toEqual({ format: 'jpeg', width: 4000, height: 3000 });
  });

  it('gives nothing for what is neither, or is cut short before its size', () => {
    expect(readImageHeader(Buffer.from('GIF89a........'))).toBeUndefined();
    expect(readImageHeader(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(readImageHeader(jpegHeader(10, 10).subarray(0, 24))).toBeUndefined();
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]))).toBeUndefined();
    expect(readImageHeader(new Uint8Array(0))).toBeUndefined();
  });

  it('never throws on random bytes after a valid signature', () => {
    for (let i = 0; i < 2000; i++) {
      const noise = Buffer.from(Array.from({ length: (i % 60) + 1 }, () => Math.floor(Math.random() * 256)));
      expect(() => readImageHeader(Buffer.concat([Buffer.from([0xff, 0xd8]), noise]))).not.toThrow();
      expect(() =>
        readImageHeader(
          Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise]),
        ),
      ).not.toThrow();
    }
  });
});
