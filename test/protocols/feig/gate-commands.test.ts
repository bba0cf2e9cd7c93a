import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clearBufferRequest,
  cpuResetRequest,
  decodeConfigReply,
  decodeFeigFrame,
  decodeFeigReply,
  decodePeopleCounterReply,
  decodePeopleCounterRequest,
  decodeReadConfigRequest,
  decodeWriteConfigRequest,
  encodeConfigReply,
  encodeFeigFrame,
  encodePeopleCounterReply,
  FEIG_GATE_COMMAND,
  FeigFrameError,
  feigReply,
  GATE_ALARM_BLOCK,
  GATE_ALARM_LOOPS,
  GATE_CONFIG_BLOCK_SIZE,
  gateAlarmState,
  peopleCounterRequest,
  readConfigRequest,
  withGateAlarm,
  writeConfigRequest,
} from '../../../src/protocols/feig/index.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const show = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const zeros = (n: number) => '00'.repeat(n);

// Captured by janosch12345/gatealert from an ID ISC.LR2500-B gate (server/gateProtocol.js); CRCs recomputed.
const READ_ALARM = '02000DFF8A0201010009018012';
const ALARM_IS_ON = `02002A008A00011E00090F0F${zeros(28)}121E`;
const ALARM_IS_OFF = `02002A008A00011E00090F00${zeros(28)}5810`;
const WRITE = (loops: string, on: string, crc: string) =>
  `02002CFF8B020101011E0009${loops}${on}${zeros(28)}${crc}`;
const WRITE_TWO_ON = WRITE('0F', '0F', '3D57');
const WRITE_TWO_OFF = WRITE('0F', '00', '7759');
const WRITE_ONE_ON = WRITE('03', '03', '70D6');
const WRITE_ONE_OFF = WRITE('03', '00', '32D5');
const WRITE_OK = '020008008B009A8D';
const CPU_RESET = '020007FF635804';
const CPU_RESET_OK = '020008006300C3AA';
const COUNTER_READ = '020012FF9F000D02020008017700EE024431';
const COUNTER_RESET = `020022FF9F000D02020018017800${zeros(16)}B09D4138`;
const COUNTER_RESET_OK = '020010009F0002000801780026816D1F';
/** A read reply in the captured shape (gatealert's regex) with IN 0x123 and OUT 0x45; CRCs computed apart. */
const COUNTER_VALUES = '020020009F0002001801770000000000000000000000012300000045B7F481A3';
/** Not published: [0x32] to any reader, CRC computed apart. */
const CLEAR_BUFFER = '020007FF325447';

const frame = (hex: string) => decodeFeigFrame(bytes(hex));

describe('FEIG gate alarm (configuration block 9)', () => {
  it('generates the captured read-alarm request and reads on/off from the captured replies', () => {
    expect(show(encodeFeigFrame(readConfigRequest(GATE_ALARM_BLOCK)))).toBe(READ_ALARM);
    expect(decodeReadConfigRequest(frame(READ_ALARM).data)).toEqual({
      device: 2,
      bank: 1,
      mode: 1,
      first: 9,
      count: 1,
    });
    const on = decodeConfigReply(decodeFeigReply(frame(ALARM_IS_ON)).data);
    expect(on.map((b) => b.block)).toEqual([9]);
    expect(on[0]!.data).toHaveLength(GATE_CONFIG_BLOCK_SIZE);
    expect(gateAlarmState(on[0]!.data)).toEqual({ on: true, loops: 0x0f, active: 0x0f });
    const off = decodeConfigReply(decodeFeigReply(frame(ALARM_IS_OFF)).data);
    expect(gateAlarmState(off[0]!.data)).toMatchObject({ on: false, loops: 0x0f });
    // The simulated gate answers with the same bytes.
    expect(show(encodeFeigFrame(feigReply(0, 0x8a, 0, encodeConfigReply(on))))).toBe(ALARM_IS_ON);
  });

  it('generates the four captured alarm writes and the reader accepts them back', () => {
    const blank = new Uint8Array(GATE_CONFIG_BLOCK_SIZE);
    const cases: Array<[string, boolean, number]> = [
      [WRITE_TWO_ON, true, GATE_ALARM_LOOPS.two],
      [WRITE_TWO_OFF, false, GATE_ALARM_LOOPS.two],
      [WRITE_ONE_ON, true, GATE_ALARM_LOOPS.one],
      [WRITE_ONE_OFF, false, GATE_ALARM_LOOPS.one],
    ];
    for (const [vector, on, loops] of cases) {
      const block = withGateAlarm(blank, on, loops);
      expect(show(encodeFeigFrame(writeConfigRequest([{ block: GATE_ALARM_BLOCK, data: block }])))).toBe(
        vector,
      );
      const decoded = decodeWriteConfigRequest(frame(vector).data);
      expect(decoded.blocks).toEqual([{ block: 9, data: block }]);
      expect(show(encodeFeigFrame(writeConfigRequest(decoded.blocks, { target: decoded })))).toBe(vector);
    }
    expect(show(encodeFeigFrame(feigReply(0, FEIG_GATE_COMMAND.writeConfig, 0)))).toBe(WRITE_OK);
    expect(decodeFeigReply(frame(WRITE_OK)).status).toBe(0);
  });

  it('switching the alarm keeps the other bytes of the block', () => {
    const current = Uint8Array.from({ length: 30 }, (_, i) => i + 0x40);
    const next = withGateAlarm(current, true, GATE_ALARM_LOOPS.two);
    expect(show(next.subarray(0, 2))).toBe('0F0F');
    expect(next.subarray(2)).toEqual(current.subarray(2));
  });

  it('generates the captured CPU reset and reads its reply', () => {
    expect(show(encodeFeigFrame(cpuResetRequest()))).toBe(CPU_RESET);
    expect(show(encodeFeigFrame(feigReply(0, FEIG_GATE_COMMAND.cpuReset, 0)))).toBe(CPU_RESET_OK);
    expect(decodeFeigReply(frame(CPU_RESET_OK))).toMatchObject({ status: 0 });
  });

  it('acknowledges a notification with [0x32] clear buffer', () => {
    expect(show(encodeFeigFrame(clearBufferRequest()))).toBe(CLEAR_BUFFER);
    expect(frame(CLEAR_BUFFER)).toMatchObject({ address: 0xff, command: 0x32 });
  });

  it('rejects configuration replies whose sizes do not add up', () => {
    expect(() => decodeConfigReply(bytes('011E0009'))).toThrow(FeigFrameError);
    expect(() => decodeConfigReply(bytes('01'))).toThrow(FeigFrameError);
    expect(() => decodeReadConfigRequest(bytes('020101'))).toThrow(FeigFrameError);
  });
});

describe('FEIG gate people counter [0x9F] (captured layout, unverified on hardware)', () => {
  it('generates, reads and mirrors the captured read and reset exchanges', () => {
    expect(show(encodeFeigFrame(peopleCounterRequest({ kind: 'read' })))).toBe(COUNTER_READ);
    expect(show(encodeFeigFrame(peopleCounterRequest({ kind: 'reset' })))).toBe(COUNTER_RESET);
    expect(decodePeopleCounterRequest(frame(COUNTER_READ).data)).toEqual({ kind: 'read' });
    expect(decodePeopleCounterRequest(frame(COUNTER_RESET).data)).toEqual({ kind: 'reset' });
    const resetOk = decodeFeigReply(frame(COUNTER_RESET_OK));
    expect(decodePeopleCounterReply(resetOk.data)).toEqual({ kind: 'reset', status: 0 });
    expect(
      show(encodeFeigFrame(feigReply(0, 0x9f, 0, encodePeopleCounterReply({ kind: 'reset', status: 0 })))),
    ).toBe(COUNTER_RESET_OK);
  });

  it('reads IN and OUT where the captured reply carries them', () => {
    const reply = decodeFeigReply(frame(COUNTER_VALUES));
    expect(decodePeopleCounterReply(reply.data)).toEqual({
      kind: 'counts',
      counts: { in: 0x123, out: 0x45 },
    });
    const again = encodePeopleCounterReply({ kind: 'counts', counts: { in: 0x123, out: 0x45 } });
    expect(show(encodeFeigFrame(feigReply(0, 0x9f, 0, again)))).toBe(COUNTER_VALUES);
  });

  it('rejects a tunnelled frame with a bad inner CRC, and random data only with FeigFrameError', () => {
    const bad = bytes(COUNTER_VALUES).slice(6, -2);
    bad[bad.length - 1]! ^= 0xff;
    expect(() => decodePeopleCounterReply(bad)).toThrow(/CRC/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        for (const decode of [decodePeopleCounterReply, decodePeopleCounterRequest, decodeConfigReply]) {
          try {
            decode(data);
          } catch (error) {
            expect(error).toBeInstanceOf(FeigFrameError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
