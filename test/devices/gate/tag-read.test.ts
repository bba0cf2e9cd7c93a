import { describe, expect, it } from 'vitest';
import { tagRead } from '../../../src/devices/gate/tag-read.js';

const rest = new Uint8Array(2);

describe('a notification record as a gate tag read', () => {
  it('takes the strongest RSSI of the tag statistics and of each antenna', () => {
    const time = '2026-12-03T14:00:00.000Z';
    const read = (record: Parameters<typeof tagRead>[0]) => tagRead(record, time).rssi;
    expect(read({ uid: 'E004010000000001' })).toBeNull();
    expect(read({ statistics: { reads: 3, rssiMax: 40, rssiAverage: 30, rest } })).toBe(40);
    expect(
      read({
        statistics: { reads: 3, rssiMax: 40, rssiAverage: 30, rest },
        antennas: [
          { antenna: 1, rssi: 35, phase: 0, rest },
          { antenna: 2, rssi: 52, phase: 0, rest },
        ],
      }),
    ).toBe(52);
    expect(
      read({
        antennas: [
          { antenna: 1, rssi: 0, phase: 0, rest },
          { antenna: 2, rssi: 0, phase: 0, rest },
        ],
      }),
    ).toBe(0);
  });

  it('carries the memory as the bytes the gate sent, the reader time as HH:MM:SS.mmm, and when Carrel took it', () => {
    const read = tagRead(
      {
        uid: 'E004010000000001',
        transponderType: 3,
        blocks: { count: 2, size: 4, memory: Uint8Array.of(0x11, 0xab, 0, 1, 2, 3, 4, 0xff) },
        timer: { hours: 9, minutes: 5, milliseconds: 7_042 },
        antenna: 2,
      },
      '2026-12-03T14:00:00.000Z',
    );
    expect(read).toMatchObject({
      uid: 'E004010000000001',
      transponderType: 3,
      memory: Uint8Array.of(0x11, 0xab, 0, 1, 2, 3, 4, 0xff),
      blockSize: 4,
      antenna: 2,
      readerTime: '09:05:07.042',
      time: '2026-12-03T14:00:00.000Z',
      source: 'notification',
    });
  });
});
