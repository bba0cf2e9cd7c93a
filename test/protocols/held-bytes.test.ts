import { describe, expect, it } from 'vitest';
import { CctalkFramer, encodeFrame } from '../../src/protocols/cctalk/index.js';
import { encodeFeigFrame, FeigFrameParser } from '../../src/protocols/feig/index.js';
import { encodeThreeMFrame, ThreeMFrameParser } from '../../src/protocols/threem/index.js';

/** A parser of one link's frames, and a frame it reads. */
interface FrameParserCase {
  name: string;
  frame: Uint8Array;
  /** The frame as the parser decodes it. */
  decoded: object;
  parser(): { push(chunk: Uint8Array): Array<{ ok: boolean; bytes?: Uint8Array; frame?: unknown }> };
}

const PARSERS: FrameParserCase[] = [
  {
    name: 'FEIG',
    frame: encodeFeigFrame({ address: 0xff, command: 0xb0, data: Uint8Array.of(0x00, 0x01, 0x03, 0x00) }),
    decoded: { address: 0xff, command: 0xb0, data: Uint8Array.of(0x00, 0x01, 0x03, 0x00) },
    parser: () => new FeigFrameParser(),
  },
  {
    name: '3M',
    frame: encodeThreeMFrame({ start: 0xd6, payload: Uint8Array.of(0x04, 0x00, 0x11) }),
    decoded: { start: 0xd6, payload: Uint8Array.of(0x04, 0x00, 0x11) },
    parser: () => new ThreeMFrameParser(),
  },
  {
    name: 'ccTalk',
    frame: encodeFrame({ destination: 1, source: 2, header: 0, data: Uint8Array.of(7, 1, 0) }),
    decoded: { destination: 1, source: 2, header: 0, data: Uint8Array.of(7, 1, 0) },
    parser: () => new CctalkFramer(),
  },
];

/**
 * A transport may hand a parser a chunk whose memory it uses again (a serial port's read buffer, a
 * socket read into a buffer of its own): a parser reads a chunk where it lies, but what it gives and
 * what it holds must be its own.
 */
describe.each(PARSERS)(
  '$name frame parser: the chunks it reads are not its own',
  ({ frame, decoded, parser }) => {
    it('gives a frame that stays as read when the chunk it came in is written over', () => {
      const chunk = Buffer.from(frame);
      const [item] = parser().push(chunk);
      chunk.fill(0);
      expect(item).toMatchObject({ ok: true, bytes: Uint8Array.from(frame), frame: decoded });
    });

    it('holds the start of a frame as it came when that chunk is written over before the rest comes', () => {
      const reading = parser();
      const head = Buffer.from(frame.subarray(0, 4));
      expect(reading.push(head)).toEqual([]);
      head.fill(0);
      const items = reading.push(Buffer.from(frame.subarray(4)));
      expect(items).toMatchObject([{ ok: true, bytes: Uint8Array.from(frame), frame: decoded }]);
    });
  },
);
