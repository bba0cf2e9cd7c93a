import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFeigFrame,
  decodeKeepAlive,
  decodeNotification,
  encodeFeigFrame,
  encodeNotification,
  FEIG_NOTIFICATION_COMMAND,
  FeigFrameError,
  FeigFrameParser,
  type FeigNotification,
  type FeigTagRecord,
  keepAliveFrame,
  notificationFrame,
  TR_DATA1,
  TR_DATA2,
} from '../../../src/protocols/feig/index.js';
import { crc16Mcrf4xx } from '../../../src/protocols/rfid/crc.js';
// gatealert `testNotification` (one ISO 15693 tag, TR-DATA1 0x13: IDD, DB, ANT) and a keep-alive.
import {
  KEEP_ALIVE_HEX as KEEPALIVE,
  NOTIFICATION_HEX as NOTIFICATION,
} from '../../fixtures/feig/gate-frames.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const show = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** gatealert `testNotification2` (commented out there): two records, TR-DATA1 0x73 (+ TIMER, DATE). */
const NOTIFICATION_TIMED =
  '020087002200730002003E030008E00401001158C5C5000904320101113036303032333033000000007E000000444544F232352D4500000036000000001606929A01C755810002003E030008E00401001158C5C5000904320101113036303032333033000000007E000000444544F232352D450000003600000000160692F901C75581000257CF';
/** Built by hand from the TR-DATA2 field order (statistics, INPUT, MAC, antenna extension); CRC computed apart. */
const EXTENDED =
  '020036002200911B0001002A030008E0040100000000010100052A200000000001000EA501020302012A040000000218080000009E37';

const MEMORY_1 = '32010421323131303336343300000000F70000004445444932352D450000003600000000';

const EXPECTED_1: FeigNotification = {
  status: 0,
  trData1: 0x13,
  records: [
    {
      transponderType: 0x03,
      iddInfo: 0x00,
      uid: 'E00401500A203FA3',
      blocks: { count: 9, size: 4, memory: bytes(MEMORY_1) },
      antenna: 0x04,
    },
  ],
};

/** Recomputes ALEN and CRC so a test reaches the notification decoder with a changed body. */
function reframe(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  out[1] = out.length >>> 8;
  out[2] = out.length & 0xff;
  const crc = crc16Mcrf4xx(out.subarray(0, out.length - 2));
  out[out.length - 2] = crc & 0xff;
  out[out.length - 1] = crc >>> 8;
  return out;
}

function withoutCrc(hex: string): Uint8Array {
  return bytes(hex).slice(0, -2);
}

function decodeError(run: () => unknown): FeigFrameError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FeigFrameError);
    return error as FeigFrameError;
  }
  throw new Error('expected a FeigFrameError');
}

describe('FEIG notification frames', () => {
  it('parses the published 64-byte notification into its tag record', () => {
    const frame = decodeFeigFrame(bytes(NOTIFICATION));
    expect(frame).toMatchObject({ address: 0x00, command: FEIG_NOTIFICATION_COMMAND });
    expect(decodeNotification(frame.data)).toEqual(EXPECTED_1);
  });

  it('generates the published notification and keep-alive byte for byte', () => {
    expect(show(encodeFeigFrame(notificationFrame(EXPECTED_1, 0x00)))).toBe(NOTIFICATION);
    expect(show(encodeFeigFrame(keepAliveFrame({ status: 0, diagnostic: 0 }, 0x00)))).toBe(KEEPALIVE);
  });

  it('mirrors every vector (parse then generate gives the same bytes)', () => {
    for (const vector of [NOTIFICATION, NOTIFICATION_TIMED, EXTENDED]) {
      const frame = decodeFeigFrame(bytes(vector));
      const again = { ...frame, data: encodeNotification(decodeNotification(frame.data)) };
      expect(show(encodeFeigFrame(again))).toBe(vector);
    }
    const keepAlive = decodeFeigFrame(bytes(KEEPALIVE));
    expect(decodeKeepAlive(keepAlive)).toEqual({ status: 0, diagnostic: 0 });
    expect(show(encodeFeigFrame(keepAliveFrame(decodeKeepAlive(keepAlive), keepAlive.address)))).toBe(
      KEEPALIVE,
    );
  });

  it('reads the reader clock (hours, minutes, milliseconds) and keeps the date bytes as sent', () => {
    const { records, trData1 } = decodeNotification(decodeFeigFrame(bytes(NOTIFICATION_TIMED)).data);
    expect(trData1 & TR_DATA1.timer).toBeTruthy();
    expect(records).toHaveLength(2);
    expect(records.map((r) => r.timer)).toEqual([
      { hours: 22, minutes: 6, milliseconds: 37530 },
      { hours: 22, minutes: 6, milliseconds: 37625 },
    ]);
    expect(show(records[0]!.date!)).toBe('01C7558100');
    expect(records[0]).toMatchObject({ uid: 'E00401001158C5C5', antenna: 0x02 });
  });

  it('reads the TR-DATA2 fields: tag statistics, input, MAC and per-antenna RSSI', () => {
    const n = decodeNotification(decodeFeigFrame(bytes(EXTENDED)).data);
    expect(n.trData2).toBe(
      TR_DATA2.input | TR_DATA2.mac | TR_DATA2.tagStatistics | TR_DATA2.antennaExtension,
    );
    const [record] = n.records as [FeigTagRecord];
    expect(record.uid).toBe('E004010000000001');
    expect(record.antenna).toBe(1);
    expect(record.statistics).toMatchObject({ reads: 5, rssiMax: 42, rssiAverage: 32 });
    expect(record.input).toBe(1);
    expect(show(record.mac!)).toBe('000EA5010203');
    expect(record.antennas?.map(({ antenna, rssi, phase }) => ({ antenna, rssi, phase }))).toEqual([
      { antenna: 1, rssi: 42, phase: 0x0400 },
      { antenna: 2, rssi: 24, phase: 0x0800 },
    ]);
  });

  it('returns memory in logical order when the blocks come least significant byte first', () => {
    const lsb = { ...EXPECTED_1, trData1: EXPECTED_1.trData1 | TR_DATA1.lsbFirst };
    const data = encodeNotification(lsb);
    // On the wire the first block reads 21 04 01 32.
    expect(show(data.subarray(20, 24))).toBe('21040132');
    expect(decodeNotification(data).records[0]?.blocks?.memory).toEqual(bytes(MEMORY_1));
  });

  it('keeps record bytes after the known fields instead of losing the read', () => {
    const body = withoutCrc(NOTIFICATION);
    const longer = Uint8Array.from([...body.subarray(0, 10), 0x36, ...body.subarray(11), 0xaa]);
    const record = decodeNotification(decodeFeigFrame(reframe(longer)).data).records[0]!;
    expect(record.uid).toBe('E00401500A203FA3');
    expect(show(record.trailing!)).toBe('AA');
  });
});

describe('FEIG notification frames that must be rejected', () => {
  it('rejects a bad CRC, a wrong length and a truncated frame', () => {
    const bad = bytes(NOTIFICATION);
    bad[bad.length - 1]! ^= 0x01;
    expect(decodeError(() => decodeFeigFrame(bad)).code).toBe('feig_crc');
    const longer = bytes(NOTIFICATION);
    longer[2] = 0x41;
    expect(decodeError(() => decodeFeigFrame(longer)).code).toBe('feig_bad_length');
    expect(decodeError(() => decodeFeigFrame(bytes(NOTIFICATION).subarray(0, 40))).code).toBe(
      'feig_bad_length',
    );
    expect(decodeError(() => decodeNotification(Uint8Array.of(0x00, 0x13))).code).toBe('feig_truncated');
  });

  it('rejects a record running past the frame', () => {
    const body = withoutCrc(NOTIFICATION);
    body[10] = 0x36; // RECORD-LEN one more than the frame holds
    expect(decodeError(() => decodeNotification(decodeFeigFrame(reframe(body)).data)).code).toBe(
      'feig_bad_notification',
    );
    const cut = reframe(withoutCrc(NOTIFICATION).subarray(0, 50));
    expect(decodeError(() => decodeNotification(decodeFeigFrame(cut).data)).message).toMatch(
      /past the frame/,
    );
    const idd = withoutCrc(NOTIFICATION);
    idd[13] = 0x40; // IDD-LEN 64 inside a 53-byte record
    expect(decodeError(() => decodeNotification(decodeFeigFrame(reframe(idd)).data)).message).toMatch(/IDD/);
  });

  it('rejects DATA-SETS that lie in either direction', () => {
    const more = withoutCrc(NOTIFICATION);
    more[8] = 0x02;
    expect(decodeError(() => decodeNotification(decodeFeigFrame(reframe(more)).data)).message).toMatch(
      /DATA-SETS says 2/,
    );
    const fewer = withoutCrc(NOTIFICATION);
    fewer[8] = 0x00;
    expect(decodeError(() => decodeNotification(decodeFeigFrame(reframe(fewer)).data)).message).toMatch(
      /after the 0 record/,
    );
  });

  it('refuses to encode a record the flags do not fit', () => {
    const record = { ...EXPECTED_1.records[0]!, antenna: undefined };
    expect(decodeError(() => encodeNotification({ ...EXPECTED_1, records: [record] })).code).toBe(
      'feig_bad_argument',
    );
    expect(decodeError(() => encodeNotification({ ...EXPECTED_1, trData1: 0x93 })).message).toMatch(
      /TR-DATA2/,
    );
  });
});

describe('FEIG notification frames through the incremental parser', () => {
  it('finds the keep-alive and the notification wherever the stream is split', () => {
    const stream = Uint8Array.from([...bytes(KEEPALIVE), ...bytes(NOTIFICATION), ...bytes(KEEPALIVE)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new FeigFrameParser();
      const items = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))];
      expect(items.every((i) => i.ok)).toBe(true);
      expect(items.map((i) => (i.ok ? show(i.bytes) : ''))).toEqual([KEEPALIVE, NOTIFICATION, KEEPALIVE]);
      expect(parser.pending).toBe(0);
    }
  });

  it('resync drops a frame start whose length never completes and finds the frames after it', () => {
    const parser = new FeigFrameParser();
    const stream = Uint8Array.from([
      0x02,
      0x0f,
      0x00,
      0x00,
      0x22,
      ...bytes(NOTIFICATION),
      ...bytes(KEEPALIVE),
    ]);
    expect(parser.push(stream)).toEqual([]);
    expect(parser.pending).toBe(stream.length);
    const items = parser.resync();
    // The dropped STX, then the rest of the false header skipped on the way to the next STX.
    expect(items.filter((i) => !i.ok).map((i) => !i.ok && i.error.code)).toEqual([
      'feig_garbage',
      'feig_garbage',
    ]);
    expect(items.filter((i) => i.ok).map((i) => (i.ok ? show(i.bytes) : ''))).toEqual([
      NOTIFICATION,
      KEEPALIVE,
    ]);
    expect(parser.pending).toBe(0);
    expect(parser.resync()).toEqual([]);
  });

  it('splits the two-record notification byte by byte', () => {
    const parser = new FeigFrameParser();
    const frame = bytes(NOTIFICATION_TIMED);
    const items = Array.from(frame).flatMap((b) => parser.push(Uint8Array.of(b)));
    expect(items).toHaveLength(1);
    expect(items[0]?.ok && decodeNotification(items[0].frame.data).records).toHaveLength(2);
  });
});

const recordFor = (tr1: number, tr2: number) =>
  fc
    .record({
      transponderType: fc.integer({ min: 0, max: 255 }),
      iddInfo: fc.integer({ min: 0, max: 255 }),
      idd: fc.uint8Array({ maxLength: 16 }),
      size: fc.integer({ min: 1, max: 8 }),
      count: fc.integer({ min: 0, max: 8 }),
      antenna: fc.integer({ min: 0, max: 255 }),
      hours: fc.integer({ min: 0, max: 23 }),
      ms: fc.integer({ min: 0, max: 59999 }),
      date: fc.uint8Array({ minLength: 5, maxLength: 5 }),
      input: fc.integer({ min: 0, max: 0xffff }),
      antennas: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
    })
    .map((r): FeigTagRecord => {
      const out: FeigTagRecord = {};
      if (tr1 & TR_DATA1.idd)
        Object.assign(out, { transponderType: r.transponderType, iddInfo: r.iddInfo, uid: show(r.idd) });
      if (tr1 & TR_DATA1.dataBlocks)
        out.blocks = {
          count: r.count,
          size: r.size,
          memory: Uint8Array.from({ length: r.count * r.size }, (_, i) => i),
        };
      if (tr1 & TR_DATA1.timer) out.timer = { hours: r.hours, minutes: 59, milliseconds: r.ms };
      if (tr1 & TR_DATA1.date) out.date = r.date;
      if (tr1 & TR_DATA1.antenna) out.antenna = r.antenna;
      if (tr1 & TR_DATA1.extension) {
        if (tr2 & TR_DATA2.tagStatistics)
          out.statistics = { reads: 3, rssiMax: 40, rssiAverage: 30, rest: new Uint8Array(3) };
        if (tr2 & TR_DATA2.input) out.input = r.input;
        if (tr2 & TR_DATA2.mac) out.mac = Uint8Array.of(0, 1, 2, 3, 4, 5);
        if (tr2 & TR_DATA2.antennaExtension)
          out.antennas = r.antennas.map((rssi, i) => ({
            antenna: i + 1,
            rssi,
            phase: i * 512,
            rest: new Uint8Array(2),
          }));
      }
      return out;
    });

const notificationArbitrary = fc
  .record({ tr1: fc.integer({ min: 0, max: 255 }), tr2: fc.integer({ min: 0, max: 255 }) })
  .chain(({ tr1, tr2 }) =>
    fc.record({
      status: fc.integer({ min: 0, max: 255 }),
      trData1: fc.constant(tr1),
      records: fc.array(recordFor(tr1, tr2), { maxLength: 4 }),
      ...(tr1 & TR_DATA1.extension ? { trData2: fc.constant(tr2) } : {}),
    }),
  ) as fc.Arbitrary<FeigNotification>;

describe('FEIG notification frames, random and mutated', () => {
  it('round-trips any notification the flags describe', () => {
    fc.assert(
      fc.property(notificationArbitrary, (notification) => {
        const frame = decodeFeigFrame(encodeFeigFrame(notificationFrame(notification)));
        expect(decodeNotification(frame.data)).toEqual(notification);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects or decodes mutated frames (CRC fixed up) but never throws anything but FeigFrameError', () => {
    const seeds = [NOTIFICATION, NOTIFICATION_TIMED, EXTENDED].map(withoutCrc);
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'insert', 'delete'),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (seed, mutations) => {
          const body = [...seed];
          for (const m of mutations) {
            // Keep STX, ALEN and CMD so the frame still reaches the notification decoder.
            const at = 5 + (m.at % Math.max(1, body.length - 5));
            if (m.kind === 'flip') body[at] = m.value;
            else if (m.kind === 'insert') body.splice(at, 0, m.value);
            else if (body.length > 6) body.splice(at, 1);
          }
          const frame = decodeFeigFrame(reframe(Uint8Array.from(body)));
          try {
            const decoded = decodeNotification(frame.data);
            expect(show(encodeNotification(decoded))).toBe(show(frame.data));
          } catch (error) {
            expect(error).toBeInstanceOf(FeigFrameError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws anything but FeigFrameError on random notification data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        try {
          decodeNotification(data);
        } catch (error) {
          expect(error).toBeInstanceOf(FeigFrameError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
