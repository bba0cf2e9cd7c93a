/**
 * Real receiptline documents turned into ESC/POS, for the decoder and the
 * printer simulator tests. The PNG logo is made here (no image library).
 */
import { deflateSync } from 'node:zlib';
import receiptline from 'receiptline';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 48×24 RGBA PNG: a black frame with a black diagonal, as base64. */
export function logoPng(width = 48, height = 24): string {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 4);
    for (let x = 0; x < width; x++) {
      const ink = x === 0 || y === 0 || x === width - 1 || y === height - 1 || x === y * 2;
      const v = ink ? 0 : 255;
      row.set([v, v, v, 255], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

export const PATRON_NAME = 'Zoë Åström';

/** A checkout receipt using every decoration receiptline has. */
export function checkoutReceiptDocument(): string {
  return [
    `{image:${logoPng()}}`,
    '^^^Central Library',
    'Checkout receipt',
    '-',
    `Patron: | ${PATRON_NAME}`,
    '"Bold title" | 2 items',
    '_Underlined due date_ | 2025-05-01',
    '`Inverted notice`',
    '^^Big ^^^^Bigger',
    '|Left line',
    '| Right line',
    '{code:39200001234567; option:code128,2,72,hri}',
    '{code:4901234567894; option:ean,2,72,hri}',
    '{code:https://library.example/renew; option:qrcode,4,m}',
    '|Item|Due|',
    '|The Hobbit|2025-05-01|',
    '=',
    'Second receipt',
    '=',
  ].join('\n');
}

export type ReceiptEncoding = 'cp437' | 'cp858' | 'cp1252' | 'multilingual' | 'cp852' | 'cp866';

/** receiptline's ESC/POS output for a document, as bytes. */
export function receiptlineEscPos(
  document: string,
  encoding: ReceiptEncoding = 'cp437',
  cpl = 42,
): Uint8Array {
  const commands = receiptline.transform(document, { command: 'escpos', cpl, encoding, cutting: true });
  return Uint8Array.from(Buffer.from(commands, 'binary'));
}
