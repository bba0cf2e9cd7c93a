import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { barcodeText } from '../../../src/protocols/escpos/barcode-data.js';
import { decodeText } from '../../../src/protocols/escpos/code-pages.js';
import { type EscPosCommand, EscPosDecoder } from '../../../src/protocols/escpos/commands.js';
import { encodeProcessIdRequest, encodeStatusRequest } from '../../../src/protocols/escpos/status.js';
import {
  checkoutReceiptDocument,
  PATRON_NAME,
  type ReceiptEncoding,
  receiptlineEscPos,
} from './receipt-documents.js';

const bytes = (...parts: Array<string | number[]>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

function decodeAll(stream: Uint8Array, decoder = new EscPosDecoder()): EscPosCommand[] {
  return [...decoder.push(stream), ...decoder.flush()];
}

function decodeSplit(stream: Uint8Array, at: number): EscPosCommand[] {
  const decoder = new EscPosDecoder();
  return [...decoder.push(stream.subarray(0, at)), ...decoder.push(stream.subarray(at)), ...decoder.flush()];
}

/** Printed text, decoded through the code pages the stream selects. */
function printedText(commands: EscPosCommand[]): string {
  let page = 0;
  let text = '';
  for (const command of commands) {
    if (command.type === 'code-page') page = command.page;
    else if (command.type === 'text') text += decodeText(command.bytes, page);
    else if (command.type === 'line-feed') text += '\n';
  }
  return text;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;

const VECTORS: Array<[string, Uint8Array, EscPosCommand[]]> = [
  ['text and LF', bytes('Hi!\n'), [{ type: 'text', bytes: bytes('Hi!') }, { type: 'line-feed' }]],
  ['ESC @', bytes([ESC, 0x40]), [{ type: 'initialize' }]],
  ['ESC t 16', bytes([ESC, 0x74, 16]), [{ type: 'code-page', page: 16 }]],
  ['ESC E 1', bytes([ESC, 0x45, 1]), [{ type: 'bold', on: true }]],
  ["ESC - '2'", bytes([ESC, 0x2d, 0x32]), [{ type: 'underline', thickness: 2 }]],
  ['GS B 1', bytes([GS, 0x42, 1]), [{ type: 'invert', on: true }]],
  ['GS ! 0x11', bytes([GS, 0x21, 0x11]), [{ type: 'character-size', width: 2, height: 2 }]],
  [
    'ESC ! 0xB9',
    bytes([ESC, 0x21, 0xb9]),
    [{ type: 'print-mode', font: 1, bold: true, doubleHeight: true, doubleWidth: true, underline: true }],
  ],
  ['ESC a 1', bytes([ESC, 0x61, 1]), [{ type: 'align', align: 'center' }]],
  ["ESC a '2'", bytes([ESC, 0x61, 0x32]), [{ type: 'align', align: 'right' }]],
  [
    'ESC 3 n / ESC 2',
    bytes([ESC, 0x33, 40, ESC, 0x32]),
    [
      { type: 'line-spacing', dots: 40 },
      { type: 'line-spacing', dots: null },
    ],
  ],
  ['ESC $', bytes([ESC, 0x24, 0x2c, 0x01]), [{ type: 'absolute-position', dots: 300 }]],
  ['ESC \\ negative', bytes([ESC, 0x5c, 0xf4, 0xff]), [{ type: 'relative-position', dots: -12 }]],
  [
    'GS L / GS W',
    bytes([GS, 0x4c, 24, 0, GS, 0x57, 0xf8, 0x01]),
    [
      { type: 'left-margin', dots: 24 },
      { type: 'print-area-width', dots: 504 },
    ],
  ],
  ['ESC M 1', bytes([ESC, 0x4d, 1]), [{ type: 'font', font: 1 }]],
  ['ESC SP', bytes([ESC, 0x20, 2]), [{ type: 'character-spacing', dots: 2 }]],
  [
    'FS & / FS .',
    bytes([FS, 0x26, FS, 0x2e]),
    [
      { type: 'kanji-mode', on: true },
      { type: 'kanji-mode', on: false },
    ],
  ],
  ['FS C 1', bytes([FS, 0x43, 0x31]), [{ type: 'kanji-code-system', system: 'shift-jis' }]],
  ['FS S', bytes([FS, 0x53, 1, 2]), [{ type: 'kanji-spacing', left: 1, right: 2 }]],
  ['ESC {', bytes([ESC, 0x7b, 1]), [{ type: 'upside-down', on: true }]],
  [
    'ESC d / ESC J',
    bytes([ESC, 0x64, 3, ESC, 0x4a, 20]),
    [
      { type: 'feed-lines', lines: 3 },
      { type: 'feed-dots', dots: 20 },
    ],
  ],
  ['GS V 0', bytes([GS, 0x56, 0]), [{ type: 'cut', partial: false, feedDots: 0, mode: 0 }]],
  ["GS V '1'", bytes([GS, 0x56, 0x31]), [{ type: 'cut', partial: true, feedDots: 0, mode: 0x31 }]],
  ['GS V B n', bytes([GS, 0x56, 0x42, 5]), [{ type: 'cut', partial: true, feedDots: 5, mode: 0x42 }]],
  ['GS V a n', bytes([GS, 0x56, 0x61, 3]), [{ type: 'cut', partial: false, feedDots: 3, mode: 0x61 }]],
  ['GS V h n', bytes([GS, 0x56, 0x68, 0]), [{ type: 'cut', partial: true, feedDots: 0, mode: 0x68 }]],
  ['ESC p', bytes([ESC, 0x70, 0, 25, 250]), [{ type: 'drawer-pulse', pin: 0, onMs: 50, offMs: 500 }]],
  [
    'GS k A (NUL-terminated)',
    bytes([GS, 0x6b, 4], '*123*', [0]),
    [{ type: 'barcode', symbology: 'code39', m: 4, data: bytes('*123*') }],
  ],
  [
    'GS k B (length-prefixed)',
    bytes([GS, 0x6b, 73, 6], '{BAB12'),
    [{ type: 'barcode', symbology: 'code128', m: 73, data: bytes('{BAB12') }],
  ],
  [
    'GS h/w/H/f',
    bytes([GS, 0x68, 80, GS, 0x77, 2, GS, 0x48, 2, GS, 0x66, 1]),
    [
      { type: 'barcode-height', dots: 80 },
      { type: 'barcode-module-width', dots: 2 },
      { type: 'barcode-hri-position', position: 'below' },
      { type: 'barcode-hri-font', font: 1 },
    ],
  ],
  [
    'GS ( k QR model/size/ecc/store/print',
    bytes(
      [GS, 0x28, 0x6b, 4, 0, 49, 65, 50, 0],
      [GS, 0x28, 0x6b, 3, 0, 49, 67, 6],
      [GS, 0x28, 0x6b, 3, 0, 49, 69, 49],
      [GS, 0x28, 0x6b, 6, 0, 49, 80, 48],
      'abc',
      [GS, 0x28, 0x6b, 3, 0, 49, 81, 48],
    ),
    [
      { type: 'qr-model', model: 2 },
      { type: 'qr-module-size', dots: 6 },
      { type: 'qr-error-correction', level: 'M' },
      { type: 'qr-store', data: bytes('abc') },
      { type: 'qr-print' },
    ],
  ],
  [
    'GS v 0',
    bytes([GS, 0x76, 0x30, 0, 2, 0, 2, 0], [0xff, 0x00, 0x81, 0x18]),
    [{ type: 'raster-image', mode: 0, widthBytes: 2, height: 2, bits: bytes([0xff, 0x00, 0x81, 0x18]) }],
  ],
  [
    'GS 8 L store + GS ( L print',
    bytes(
      [GS, 0x38, 0x4c, 12, 0, 0, 0, 48, 112, 48, 1, 1, 49, 8, 0, 2, 0],
      [0xaa, 0x55],
      [GS, 0x28, 0x4c, 2, 0, 48, 50],
    ),
    [
      {
        type: 'graphics-store',
        tone: 48,
        scaleX: 1,
        scaleY: 1,
        color: 49,
        width: 8,
        height: 2,
        bits: bytes([0xaa, 0x55]),
      },
      { type: 'graphics-print' },
    ],
  ],
  ['GS ( H process id', encodeProcessIdRequest('AB12'), [{ type: 'process-id-request', id: 'AB12' }]],
  ['DLE EOT n', encodeStatusRequest('paper'), [{ type: 'real-time-status', n: 4, kind: 'paper' }]],
  ['DLE EOT 7 a', bytes([DLE, 0x04, 7, 1]), [{ type: 'real-time-status', n: 7, kind: undefined, extra: 1 }]],
  ['DLE DC4 1', bytes([DLE, 0x14, 1, 0, 2]), [{ type: 'real-time-command', fn: 1, params: bytes([0, 2]) }]],
  [
    'GS r / GS I / GS a',
    bytes([GS, 0x72, 1, GS, 0x49, 67, GS, 0x61, 0xff]),
    [
      { type: 'transmit-status', n: 1 },
      { type: 'transmit-printer-id', n: 67 },
      { type: 'automatic-status-back', mask: 0xff },
    ],
  ],
  ['ESC =', bytes([ESC, 0x3d, 1]), [{ type: 'peripheral-device', n: 1 }]],
  [
    'ESC * 24-dot',
    bytes([ESC, 0x2a, 33, 1, 0], [1, 2, 3]),
    [{ type: 'bit-image', mode: 33, width: 1, data: bytes([1, 2, 3]) }],
  ],
  ['ESC D tabs', bytes([ESC, 0x44, 8, 16, 0]), [{ type: 'tab-positions', columns: [8, 16] }]],
  [
    'FS ( A',
    bytes([FS, 0x28, 0x41, 2, 0, 48, 0]),
    [{ type: 'extended', prefix: FS, letter: 0x41, params: bytes([48, 0]) }],
  ],
];

describe('EscPosDecoder vectors', () => {
  for (const [name, stream, expected] of VECTORS) {
    it(`${name}: decodes`, () => {
      expect(decodeAll(stream)).toEqual(expected);
    });
    it(`${name}: same commands split at every offset`, () => {
      for (let at = 0; at <= stream.length; at++) expect(decodeSplit(stream, at)).toEqual(expected);
    });
    it(`${name}: same commands fed one byte at a time`, () => {
      const decoder = new EscPosDecoder();
      const commands = [...stream].flatMap((b) => decoder.push(Uint8Array.of(b)));
      expect([...commands, ...decoder.flush()]).toEqual(expected);
    });
  }
});

describe('EscPosDecoder on receiptline documents', () => {
  const ENCODINGS: ReceiptEncoding[] = ['cp437', 'cp858', 'cp1252', 'multilingual'];

  for (const encoding of ENCODINGS) {
    it(`decodes a ${encoding} receipt with no unknown command and the name reads back`, () => {
      const commands = decodeAll(receiptlineEscPos(checkoutReceiptDocument(), encoding));
      expect(commands.filter((c) => c.type === 'unknown' || c.type === 'oversized')).toEqual([]);
      const text = printedText(commands);
      expect(text).toContain(PATRON_NAME);
      expect(text).toContain('Central Library');
      const types = new Set(commands.map((c) => c.type));
      for (const type of [
        'initialize',
        'bold',
        'underline',
        'invert',
        'character-size',
        'align',
        'cut',
      ] as const) {
        expect(types).toContain(type);
      }
      expect(types).toContain('graphics-store');
      expect(types).toContain('graphics-print');
      const barcodes = commands.filter((c) => c.type === 'barcode');
      expect(barcodes.map((b) => b.symbology)).toEqual(['code128', 'ean13']);
      expect(commands.filter((c) => c.type === 'cut')).toHaveLength(3);
    });
  }

  it('selects the right ESC t table for each encoding', () => {
    const pages = (encoding: ReceiptEncoding) =>
      new Set(
        decodeAll(receiptlineEscPos('Zoë', encoding)).flatMap((c) =>
          c.type === 'code-page' ? [c.page] : [],
        ),
      );
    expect(pages('cp437')).toContain(0);
    expect(pages('cp858')).toContain(19);
    expect(pages('cp1252')).toContain(16);
    expect(pages('cp852')).toContain(18);
    expect(pages('cp866')).toContain(17);
  });

  it('reads Central European and Cyrillic text back (cp852, cp866)', () => {
    expect(printedText(decodeAll(receiptlineEscPos('Łódź Świętokrzyska', 'cp852')))).toContain(
      'Łódź Świętokrzyska',
    );
    expect(printedText(decodeAll(receiptlineEscPos('Библиотека', 'cp866')))).toContain('Библиотека');
  });

  it('decodes cp850 (ESC t 2) text, which receiptline does not produce', () => {
    const stream = bytes([ESC, 0x40, ESC, 0x74, 2], [...iconv.encode(`${PATRON_NAME}\n`, 'cp850')]);
    expect(printedText(decodeAll(stream))).toBe(`${PATRON_NAME}\n`);
  });

  it('gives the same commands when a receipt is split at every offset', () => {
    const stream = receiptlineEscPos(
      ['"Due" | 2025-05-01', `^^${PATRON_NAME}`, '{code:ABC-12345; option:code128,2,40,hri}', '=', ''].join(
        '\n',
      ),
      'cp858',
    );
    const whole = decodeAll(stream);
    for (let at = 0; at <= stream.length; at++) expect(decodeSplit(stream, at)).toEqual(whole);
  });

  it('gives the same commands for a receipt with images and QR split in random chunks', () => {
    const stream = receiptlineEscPos(checkoutReceiptDocument(), 'multilingual');
    const whole = decodeAll(stream);
    let seed = 7;
    for (let round = 0; round < 20; round++) {
      const decoder = new EscPosDecoder();
      const got: EscPosCommand[] = [];
      for (let at = 0; at < stream.length; ) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const size = 1 + (seed % 700);
        got.push(...decoder.push(stream.subarray(at, at + size)));
        at += size;
      }
      got.push(...decoder.flush());
      expect(got).toEqual(whole);
    }
  });
});

describe('EscPosDecoder on bad input', () => {
  it('reports bytes no command starts with and resyncs at the next byte', () => {
    expect(decodeAll(bytes([0x00, ESC, 0xff], 'A\n'))).toEqual([
      { type: 'unknown', byte: 0x00 },
      { type: 'unknown', byte: ESC },
      { type: 'text', bytes: bytes([0xff], 'A') },
      { type: 'line-feed' },
    ]);
    expect(decodeAll(bytes([GS, 0x56, 0x07], '\n'))).toEqual([
      { type: 'unknown', byte: GS },
      { type: 'text', bytes: bytes('V') },
      { type: 'unknown', byte: 0x07 },
      { type: 'line-feed' },
    ]);
  });

  it('bounds an absurd length: reports it, keeps nothing, skips its bytes, and decodes what follows', () => {
    const decoder = new EscPosDecoder({ maxFrameSize: 1024 });
    const header = bytes([GS, 0x28, 0x6b, 0xff, 0xff]); // 65535 bytes announced
    expect(decoder.push(header)).toEqual([{ type: 'oversized', command: 'GS ( k', length: 65535 }]);
    for (let sent = 0; sent < 65535; sent += 5000) {
      expect(decoder.push(new Uint8Array(Math.min(5000, 65535 - sent)).fill(0x41))).toEqual([]);
      expect(decoder.pendingBytes).toBe(0);
    }
    expect(decoder.push(bytes('OK\n'))).toEqual([
      { type: 'text', bytes: bytes('OK') },
      { type: 'line-feed' },
    ]);
  });

  it('does not allocate a 4 GiB raster or GS 8 L frame', () => {
    const decoder = new EscPosDecoder();
    expect(decoder.push(bytes([GS, 0x76, 0x30, 0, 0xff, 0xff, 0xff, 0xff], 'xyz'))).toEqual([
      { type: 'oversized', command: 'GS v 0', length: 65535 * 65535 },
    ]);
    expect(decoder.pendingBytes).toBe(0);
    const other = new EscPosDecoder();
    expect(other.push(bytes([GS, 0x38, 0x4c, 0xff, 0xff, 0xff, 0xff]))).toEqual([
      { type: 'oversized', command: 'GS 8 L', length: 0xffffffff },
    ]);
  });

  it('ends a text run at maxTextRun so held text stays bounded', () => {
    const decoder = new EscPosDecoder({ maxTextRun: 8 });
    const out = decoder.push(new Uint8Array(20).fill(0x41));
    expect(out.map((c) => (c.type === 'text' ? c.bytes.length : -1))).toEqual([8, 8]);
    expect(decoder.pendingBytes).toBe(4);
  });
});

describe('code pages and barcode data', () => {
  it('maps ESC t n to the right table', () => {
    expect(decodeText(Uint8Array.of(0x80), 16)).toBe('€'); // WPC1252
    expect(decodeText(Uint8Array.of(0xd5), 19)).toBe('€'); // PC858
    expect(decodeText(Uint8Array.of(0x8f), 0)).toBe('Å'); // PC437
    expect(decodeText(Uint8Array.of(0x80), 17)).toBe('А'); // PC866
    expect(decodeText(Uint8Array.of(0x95, 0x96), 1)).toBe('─│'); // Katakana rules
  });

  it('reads CODE128 code sets and adds EAN check digits', () => {
    expect(barcodeText('code128', bytes('{BLIB{C', [12, 34, 5]))).toBe('LIB123405');
    expect(barcodeText('code128', bytes('{Ba{{b'))).toBe('a{b');
    expect(barcodeText('ean13', bytes('490123456789'))).toBe('4901234567894');
    expect(barcodeText('ean8', bytes('4901234'))).toBe('49012347');
  });
});
