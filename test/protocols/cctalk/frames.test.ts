import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CctalkFrameError,
  CctalkFramer,
  decodeFrame,
  encodeFrame,
  HEADER,
  simpleChecksum,
} from '../../../src/protocols/cctalk/index.js';

const bytes = (text: string) => Uint8Array.from(text.trim().split(/\s+/), Number);
const decimal = (data: Uint8Array) => [...data].join(' ');

/**
 * Vectors in the decimal notation of the ccTalk generic specification (part 1):
 * a simple poll from the host (1) to address 2 and its ACK; the others are built
 * by the same rules, each checked to sum to 0 mod 256.
 */
const VECTORS = [
  {
    name: 'simple poll to 2',
    wire: '2 0 1 254 255',
    frame: { destination: 2, source: 1, header: 254, data: [] },
  },
  { name: 'ACK from 2', wire: '1 0 2 0 253', frame: { destination: 1, source: 2, header: 0, data: [] } },
  {
    name: 'request manufacturer id to 40',
    wire: '40 0 1 246 225',
    frame: { destination: 40, source: 1, header: 246, data: [] },
  },
  {
    name: 'modify inhibit status (all 16 channels) to 2',
    wire: '2 2 1 231 255 255 22',
    frame: { destination: 2, source: 1, header: 231, data: [255, 255] },
  },
  {
    name: 'buffered credits from 2: counter 3, channel 4 path 1, channel 2 path 1, error 1',
    wire: '1 11 2 0 3 4 1 2 1 0 1 0 0 0 0 230',
    frame: { destination: 1, source: 2, header: 0, data: [3, 4, 1, 2, 1, 0, 1, 0, 0, 0, 0] },
  },
  { name: 'NAK from 40', wire: '1 0 40 5 210', frame: { destination: 1, source: 40, header: 5, data: [] } },
];

const REJECTED = [
  { name: 'checksum off by one', wire: '2 0 1 254 254', code: 'cctalk_checksum' },
  { name: 'truncated', wire: '2 0 1 254', code: 'cctalk_truncated' },
  { name: 'length byte says more', wire: '2 1 1 254 254', code: 'cctalk_bad_length' },
  { name: 'length byte says less', wire: '2 0 1 231 255 255 23', code: 'cctalk_bad_length' },
];

describe('ccTalk frames', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: parse, generate, mirror`, () => {
      const wire = bytes(vector.wire);
      const frame = { ...vector.frame, data: Uint8Array.from(vector.frame.data) };
      expect(decodeFrame(wire)).toEqual(frame);
      expect(decimal(encodeFrame(frame))).toBe(vector.wire);
      expect(decimal(encodeFrame(decodeFrame(wire)))).toBe(vector.wire);
      expect(wire.reduce((sum, b) => sum + b, 0) % 256).toBe(0);
    });
  }

  for (const vector of REJECTED) {
    it(`rejects ${vector.name}`, () => {
      expect(() => decodeFrame(bytes(vector.wire))).toThrow(
        expect.objectContaining({ code: vector.code }) as unknown as Error,
      );
    });
  }

  it('refuses to build a frame with more than 255 data bytes or a non-byte field', () => {
    expect(() => encodeFrame({ destination: 2, source: 1, header: 1, data: new Uint8Array(256) })).toThrow(
      CctalkFrameError,
    );
    expect(() => encodeFrame({ destination: 256, source: 1, header: 1, data: new Uint8Array() })).toThrow(
      /destination/,
    );
  });

  it('computes the checksum that brings the sum to 0', () => {
    expect(simpleChecksum(bytes('2 0 1 254'))).toBe(255);
    expect(simpleChecksum(bytes('1 0 2 0'))).toBe(253);
    expect(simpleChecksum(new Uint8Array())).toBe(0);
  });
});

describe('ccTalk framer', () => {
  const all = VECTORS.map((v) => bytes(v.wire));

  it('finds every vector split at every byte offset', () => {
    for (const wire of all) {
      for (let cut = 0; cut <= wire.length; cut++) {
        const framer = new CctalkFramer();
        const items = [...framer.push(wire.subarray(0, cut)), ...framer.push(wire.subarray(cut))];
        expect(items.filter((item) => item.ok)).toHaveLength(1);
        expect(items.filter((item) => !item.ok)).toHaveLength(0);
        expect(framer.pending).toBe(0);
      }
    }
  });

  it('reads frames back to back, byte by byte', () => {
    const stream = Uint8Array.from(all.flatMap((wire) => [...wire]));
    const framer = new CctalkFramer();
    const frames = [...stream].flatMap((byte) => framer.push(Uint8Array.of(byte))).filter((i) => i.ok);
    expect(frames.map((item) => (item.ok ? decimal(item.bytes) : ''))).toEqual(VECTORS.map((v) => v.wire));
  });

  it('skips line noise and a corrupt frame, and resynchronises on the next good one', () => {
    const framer = new CctalkFramer();
    const items = framer.push(
      Uint8Array.from([0xff, 0x13, ...bytes('2 0 1 254 254'), ...bytes('1 0 2 0 253')]),
    );
    const good = items.filter((item) => item.ok);
    expect(good).toHaveLength(1);
    expect(good[0]?.ok && decimal(good[0].bytes)).toBe('1 0 2 0 253');
    const errors = items.flatMap((item) => (item.ok ? [] : [item.error.code]));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((code) => code === 'cctalk_garbage' || code === 'cctalk_checksum')).toBe(true);
  });

  it('takes a whole frame behind noise that promises a long frame, instead of waiting for it', () => {
    const framer = new CctalkFramer();
    // 7 200 …: a "frame" of 205 bytes that will never come, then an ACK.
    const items = framer.push(Uint8Array.from([7, 200, ...bytes('1 0 2 0 253')]));
    expect(items.filter((item) => item.ok)).toHaveLength(1);
    expect(framer.pending).toBe(0);
  });

  it('holds a truncated frame until reset, and never more than one frame’s worth', () => {
    const framer = new CctalkFramer();
    expect(framer.push(bytes('1 11 2 0 3 4'))).toEqual([]);
    expect(framer.pending).toBe(6);
    expect(framer.reset()).toBe(6);
    framer.push(new Uint8Array(1000).fill(0xfe));
    expect(framer.pending).toBeLessThanOrEqual(260);
  });

  it('never throws and stays bounded on random and mutated input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: VECTORS.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (chunks, which, value, position) => {
          const framer = new CctalkFramer();
          const mutated = bytes(VECTORS[which]!.wire);
          mutated[position % mutated.length] = value;
          for (const chunk of [...chunks, mutated]) {
            for (const item of framer.push(chunk)) {
              if (item.ok) expect(item.bytes.reduce((s, b) => s + b, 0) % 256).toBe(0);
              else expect(item.error).toBeInstanceOf(CctalkFrameError);
            }
            expect(framer.pending).toBeLessThanOrEqual(260);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the headers it knows', () => {
    expect(HEADER.readBufferedCreditOrErrorCodes).toBe(229);
    expect(HEADER.readBufferedBillEvents).toBe(159);
    expect(HEADER.routeBill).toBe(154);
  });
});
