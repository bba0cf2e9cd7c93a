import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blankPlane,
  CARD_HEIGHT,
  CARD_WIDTH,
  encodeJob,
  imageToPlanes,
  MagicardProtocolError,
  MagicardStreamParser,
  magstripeCommands,
  magstripeOf,
  packPlane,
  planeBytes,
  planesToImage,
  ROW_BYTES,
  type StreamItem,
  unpackPlane,
} from '../../../src/protocols/magicard/index.js';

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** A black plane with a few dots set, small enough to split a job at every interesting offset. */
function kPlane() {
  const k = blankPlane('K');
  k.dots[0] = 1;
  k.dots[672 + 9] = 1;
  k.dots[k.dots.length - 1] = 1;
  return k;
}

function parseAll(parser: MagicardStreamParser, ...chunks: Uint8Array[]): StreamItem[] {
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('Magicard planes (selphy_print spool notes: 672 × 1016, 84-byte rows, K 1 bpp, colour 6 bpp)', () => {
  it('sizes each plane as its SZ length: K 1016 × 84, colour 1016 × 6 × 84', () => {
    expect(ROW_BYTES).toBe(84);
    expect(planeBytes('K')).toBe(85_344);
    expect(planeBytes('B')).toBe(512_064);
  });

  it('packs a K row as 84 bytes, dot 0 in the first byte’s top bit', () => {
    const data = packPlane(kPlane());
    expect(data[0]).toBe(0x80);
    expect(data[84 + 1]).toBe(0x40);
    expect(data[85_343]).toBe(0x01);
    expect(data.subarray(1, 84).every((b) => b === 0)).toBe(true);
  });

  it('packs a colour dot as six stripes of its row, bit 0 first', () => {
    const plane = blankPlane('G');
    plane.dots[0] = 0b100001;
    plane.dots[672 + 15] = 0b000110; // row 1 starts at byte 504
    const data = packPlane(plane);
    expect(data[0]).toBe(0x80);
    expect(data[5 * 84]).toBe(0x80);
    expect([1, 2, 3, 4].map((bit) => data[bit * 84])).toEqual([0, 0, 0, 0]);
    expect(data[504 + 84 + 1]).toBe(0x01);
    expect(data[504 + 2 * 84 + 1]).toBe(0x01);
    expect(data[504 + 1]).toBe(0);
    expect(Buffer.from(unpackPlane('G', data).dots).equals(Buffer.from(plane.dots))).toBe(true);
  });

  it('prints a card image as the planes give it back: black text on K, colour on B/G/R', () => {
    const rgba = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4).fill(255);
    rgba.set([0, 0, 0, 255], 0); // black: resin
    rgba.set([255, 0, 0, 255], 4 * 5); // red: magenta and yellow
    const planes = imageToPlanes(rgba, 'ymcko');
    expect(planes.map((p) => p.name)).toEqual(['B', 'G', 'R', 'K']);
    const image = planesToImage(planes);
    expect([...image.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...image.subarray(20, 24)]).toEqual([255, 0, 0, 255]);
    expect(imageToPlanes(rgba, 'k').map((p) => p.name)).toEqual(['K']);
  });
});

describe('Magicard job stream', () => {
  it('frames a black job byte for byte: 64 × 05, 01, comma commands, IMF and SZ, 1C, plane, 1C K 3A, 03', () => {
    const wire = encodeJob({ commands: ['REJON', 'OVROFF'], planes: [kPlane()] });
    const header = ascii(',REJON,OVROFF,IMFK,SZK85344');
    expect(wire.subarray(0, 64).every((b) => b === 0x05)).toBe(true);
    expect(wire[64]).toBe(0x01);
    expect(wire[65]).toBe(0x2c); // selphy_print's own check of a job
    expect(wire.subarray(65, 65 + header.length)).toEqual(header);
    const planeAt = 65 + header.length + 1;
    expect(wire[planeAt - 1]).toBe(0x1c);
    expect(wire.subarray(planeAt + 85_344)).toEqual(Buffer.from([0x1c, 0x4b, 0x3a, 0x03]));
    expect(wire.length).toBe(planeAt + 85_344 + 4);
  });

  it('ends each colour plane in its own terminator, in the order of the SZ entries', () => {
    const planes = imageToPlanes(new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4).fill(255), 'ymcko');
    const wire = encodeJob({ commands: ['DPXOFF'], planes });
    const header = ',DPXOFF,IMFBGRK,SZB512064,SZG512064,SZR512064,SZK85344';
    expect(wire.subarray(65, 65 + header.length).toString('latin1')).toBe(header);
    let at = 65 + header.length + 1;
    for (const [letter, size] of [
      ['B', 512_064],
      ['G', 512_064],
      ['R', 512_064],
      ['K', 85_344],
    ] as const) {
      at += size;
      expect([...wire.subarray(at, at + 3)]).toEqual([0x1c, letter.charCodeAt(0), 0x3a]);
      at += 3;
    }
    expect(wire[at]).toBe(0x03);
    const [item] = new MagicardStreamParser().push(wire);
    expect(item).toMatchObject({ ok: true, message: { kind: 'job', size: wire.length } });
  });

  it('writes the stripe as the Magicard manual’s example: MAG2,BPI75,MPC5,COEH,;1234567890?', () => {
    expect(magstripeCommands(2, '1234567890')).toEqual(['MAG2', 'BPI75', 'MPC5', 'COEH', ';1234567890?']);
    expect(magstripeCommands(1, 'MAGTEST')).toEqual(['MAG1', 'BPI210', 'MPC7', 'COEH', '%MAGTEST?']);
    expect(magstripeOf(['REJON', ...magstripeCommands(2, '21000001')])).toEqual({ 2: '21000001' });
    expect(() => magstripeCommands(2, '12AB')).toThrow(MagicardProtocolError);
    expect(() => magstripeCommands(1, 'A,B')).toThrow(MagicardProtocolError);
    expect(() => magstripeOf(['MAG2', 'BPI75'])).toThrow(MagicardProtocolError);
  });

  it('refuses what cannot go in a header', () => {
    expect(() => encodeJob({ commands: ['A,B'], planes: [] })).toThrow(MagicardProtocolError);
    expect(() => encodeJob({ commands: ['SZK10'], planes: [] })).toThrow(MagicardProtocolError);
    expect(() => encodeJob({ commands: ['SZA'], planes: [] })).toThrow(MagicardProtocolError); // read as a plane length
    expect(() => encodeJob({ commands: [], planes: [kPlane(), kPlane()] })).toThrow(MagicardProtocolError);
  });

  it('parses a job and a command split at every offset of its header, terminators and end', () => {
    const job = encodeJob({ commands: ['REJON', ...magstripeCommands(2, '21000001')], planes: [kPlane()] });
    const query = ascii('\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,DFR,\x1c\x03');
    const wire = Buffer.concat([job, query]);
    const offsets = [...Array(160).keys(), ...Array.from({ length: 40 }, (_, i) => job.length - 20 + i)];
    for (const at of offsets) {
      const items = parseAll(new MagicardStreamParser(), wire.subarray(0, at), wire.subarray(at));
      expect(items.map((item) => item.ok)).toEqual([true, true]);
      const [first, second] = items as Array<Extract<StreamItem, { ok: true }>>;
      expect(first!.message).toMatchObject({
        kind: 'job',
        job: { commands: ['REJON', 'MAG2', 'BPI75', 'MPC5', 'COEH', ';21000001?'] },
      });
      expect(second!.message).toEqual({ kind: 'command', text: 'REQ,STA,DFR,' });
    }
  });

  it('reports a wrong plane terminator, a wrong SZ and garbage, then reads the next command', () => {
    const job = encodeJob({ commands: [], planes: [kPlane()] });
    const bent = Buffer.from(job);
    bent[bent.length - 3] = 0x42; // 1C B 3A after a K plane
    const query = ascii(`${'\x05'.repeat(9)}\x01RST,\x1c\x03`);
    const items = new MagicardStreamParser().push(Buffer.concat([bent, ascii('junk'), query]));
    expect(items[0]).toMatchObject({ ok: false, error: { code: 'magicard_bad_job' } });
    expect(items.at(-1)).toEqual({ ok: true, message: { kind: 'command', text: 'RST,' } });
    const short = new MagicardStreamParser().push(
      Buffer.concat([Buffer.alloc(64, 5), ascii('\x01,IMFK,SZK100\x1c'), query]),
    );
    expect(short[0]).toMatchObject({ ok: false, error: { code: 'magicard_bad_job' } });
    expect(short.at(-1)).toEqual({ ok: true, message: { kind: 'command', text: 'RST,' } });
  });

  it('bounds a header and a command that never end', () => {
    const header = new MagicardStreamParser().push(
      Buffer.concat([Buffer.alloc(64, 5), Buffer.of(1), Buffer.alloc(5000, 0x41)]),
    );
    expect(header).toMatchObject([{ ok: false, error: { code: 'magicard_too_long' } }]);
    const command = new MagicardStreamParser().push(
      Buffer.concat([Buffer.alloc(9, 5), Buffer.of(1), Buffer.alloc(300, 0x41)]),
    );
    expect(command).toMatchObject([{ ok: false, error: { code: 'magicard_too_long' } }]);
  });

  it('round-trips any header and K plane, and never throws on random or mutated bytes', () => {
    const command = fc.stringMatching(/^[A-Z]{3}[A-Z0-9]{0,5}$/).filter((c) => !/^(IMF|SZ)/.test(c));
    fc.assert(
      fc.property(
        fc.array(command, { maxLength: 6 }),
        fc.uniqueArray(fc.nat(672 * 1016 - 1), { maxLength: 20 }),
        (commands, dots) => {
          const k = blankPlane('K');
          for (const dot of dots) k.dots[dot] = 1;
          const items = new MagicardStreamParser().push(encodeJob({ commands, planes: [k] }));
          const message = items.length === 1 && items[0]!.ok ? items[0]!.message : undefined;
          if (message?.kind !== 'job') throw new Error(`not one job: ${items.length} items`);
          expect(message.job.commands).toEqual(commands);
          expect(Buffer.from(message.job.planes[0]!.dots).equals(Buffer.from(k.dots))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
    const valid = Buffer.concat([
      Buffer.alloc(64, 5),
      ascii('\x01,REJON,MAG2,BPI75,MPC5,COEH,;123?\x1c\x03'),
      ascii(`${'\x05'.repeat(9)}\x01REQ,STA,MSR,\x1c\x03`),
    ]);
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
      .map((edits) => {
        const copy = Buffer.from(valid);
        for (const [at, byte] of edits) copy[at] = byte;
        return new Uint8Array(copy);
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated), fc.nat(400), (bytes, cut) => {
        const parser = new MagicardStreamParser();
        for (const item of parseAll(parser, bytes.subarray(0, cut), bytes.subarray(cut)))
          if (!item.ok) expect(item.error).toBeInstanceOf(MagicardProtocolError);
      }),
      { numRuns: 500 },
    );
  });
});
