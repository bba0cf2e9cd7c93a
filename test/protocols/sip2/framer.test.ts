import { describe, expect, it } from 'vitest';
import { decodeSip2Message, Sip2FrameError, Sip2Framer } from '../../../src/protocols/sip2/index.js';
import { MESSAGE_VECTORS } from '../../fixtures/sip2/messages.js';

const text = (frame: Uint8Array) => Buffer.from(frame).toString('latin1');
const framesOf = (framer: Sip2Framer, chunks: Uint8Array[]) =>
  chunks
    .flatMap((chunk) => framer.push(chunk))
    .map((event) => (event.type === 'frame' ? text(event.frame) : event));

describe('Sip2Framer', () => {
  for (const vector of MESSAGE_VECTORS) {
    it(`${vector.name}: split at every byte offset, with CR, CR LF and a leading LF`, () => {
      for (const terminator of ['\r', '\r\n']) {
        const wire = Buffer.from(`\n${vector.wire}${terminator}`, 'latin1');
        for (let at = 0; at <= wire.length; at++) {
          const framer = new Sip2Framer();
          const frames = framesOf(framer, [wire.subarray(0, at), wire.subarray(at)]);
          expect(frames).toEqual([vector.wire]);
          expect(framer.pendingBytes).toBe(0);
        }
      }
    });
  }

  it('splits several messages in one read, and one message over many reads', () => {
    const all = MESSAGE_VECTORS.map((v) => `${v.wire}\r\n`).join('');
    const framer = new Sip2Framer();
    expect(framesOf(framer, [Buffer.from(all, 'latin1')])).toEqual(MESSAGE_VECTORS.map((v) => v.wire));
    const bytes = Buffer.from(all, 'latin1');
    const oneByOne = [...bytes].map((b) => Uint8Array.of(b));
    expect(framesOf(new Sip2Framer(), oneByOne)).toEqual(MESSAGE_VECTORS.map((v) => v.wire));
  });

  it('skips blanks between messages (a space or tab after a CR, line noise), split at every byte offset', () => {
    const first = '9900302.00AY1AZFCA5';
    const second = '9300CNscclient|COclientpwd|CPWS1|AY0AZF2AB';
    for (const noise of [' ', '\t', ' \n ', '\n\t', '  \r\n']) {
      const wire = Buffer.from(`${first}\r${noise}${second}\r${noise}`, 'latin1');
      for (let at = 0; at <= wire.length; at++) {
        const framer = new Sip2Framer();
        expect(framesOf(framer, [wire.subarray(0, at), wire.subarray(at)]), JSON.stringify(noise)).toEqual([
          first,
          second,
        ]);
        expect(framer.pendingBytes).toBe(0);
      }
    }
    // Blanks inside a message are its own: kept.
    expect(framesOf(new Sip2Framer(), [Buffer.from(' 17 x|AB1 2|\r', 'latin1')])).toEqual(['17 x|AB1 2|']);
  });

  it('frames are copies: reusing the read buffer does not change them', () => {
    const framer = new Sip2Framer();
    const chunk = Buffer.from('941AY0AZFDFD\r', 'latin1');
    const [event] = framer.push(chunk);
    chunk.fill(0x30);
    expect(event?.type === 'frame' && text(event.frame)).toBe('941AY0AZFDFD');
  });

  it('drops an oversized frame with a typed error and resyncs at the next terminator', () => {
    const framer = new Sip2Framer({ maxFrameSize: 16 });
    const events = [
      ...framer.push(Buffer.from('941\r9900302.00AY1AZFCA5', 'latin1')),
      ...framer.push(Buffer.from('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'latin1')),
      ...framer.push(Buffer.from('yyyy\r940\r', 'latin1')),
    ];
    expect(events.map((e) => (e.type === 'frame' ? text(e.frame) : e.error.code))).toEqual([
      '941',
      'sip2_frame_too_large',
      '940',
    ]);
    const error = events[1]?.type === 'error' ? events[1].error : undefined;
    expect(error).toBeInstanceOf(Sip2FrameError);
    expect(framer.pendingBytes).toBe(0);
    // A complete but oversized frame in one read is dropped the same way.
    expect(framer.push(Buffer.from('9900302.00AY1AZFCA5\r941\r', 'latin1')).map((e) => e.type)).toEqual([
      'error',
      'frame',
    ]);
  });

  it('the default bound is 64 KiB', () => {
    const framer = new Sip2Framer();
    expect(framer.maxFrameSize).toBe(65536);
    const events = framer.push(new Uint8Array(70_000).fill(0x41));
    expect(events).toHaveLength(1);
    expect(framer.pendingBytes).toBe(0);
  });

  it('frames decode', () => {
    const framer = new Sip2Framer();
    const [event] = framer.push(Buffer.from('9900302.00AY1AZFCA5\r\n', 'latin1'));
    expect(event?.type === 'frame' && decodeSip2Message(event.frame)).toMatchObject({
      ok: true,
      checksum: 'valid',
    });
  });
});
