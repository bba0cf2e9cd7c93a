/** A FEIG notification's tag record as the `tag_read` event a gate driver publishes. */
import type { FeigTagRecord } from '../../protocols/feig/index.js';
import type { GateTagRead } from './events.js';

/** A notification record as the gate event the gateway decodes. */
export function tagRead(record: FeigTagRecord, time: string): GateTagRead {
  // The strongest of the record's RSSI and its antennas' (no arrays built for it: once per tag read).
  let rssi = record.statistics?.rssiMax ?? null;
  for (const antenna of record.antennas ?? []) if (rssi === null || antenna.rssi > rssi) rssi = antenna.rssi;
  const timer = record.timer;
  return {
    uid: record.uid ?? null,
    transponderType: record.transponderType ?? null,
    memory: record.blocks?.memory ?? null,
    blockSize: record.blocks?.size ?? null,
    afi: null,
    eas: null,
    antenna: record.antenna ?? null,
    rssi,
    reads: record.statistics?.reads ?? null,
    time,
    readerTime: timer
      ? `${pad(timer.hours)}:${pad(timer.minutes)}:${pad(Math.floor(timer.milliseconds / 1000))}.${String(timer.milliseconds % 1000).padStart(3, '0')}`
      : null,
    source: 'notification',
  };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
