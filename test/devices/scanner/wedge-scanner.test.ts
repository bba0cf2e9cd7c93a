import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { type ScanRead, type ScanRejection, WedgeScanner } from '../../../src/devices/scanner/index.js';
import { InputDeviceTransport } from '../../../src/devices/transport/input-device.js';
import {
  EV_KEY,
  EV_SYN,
  encodeInputEvent,
  type InputEvent,
  KEY,
  type KeymapName,
  keymap,
  keystrokeOf,
} from '../../../src/protocols/scan/index.js';
import { until } from '../../helpers/until.js';

/** The records a scanner set to a layout sends for a text and Enter, keys `gapUs` apart. */
function records(text: string, layout: KeymapName, gapUs: number, startUs = 1e9): Uint8Array {
  const events: InputEvent[] = [];
  let t = startUs;
  const key = (code: number, value: number) => {
    events.push({ timeUs: t, type: EV_KEY, code, value }, { timeUs: t, type: EV_SYN, code: 0, value: 0 });
  };
  for (const char of [...text, '\n']) {
    const stroke = char === '\n' ? { code: KEY.ENTER, modifier: 'none' } : keystrokeOf(keymap(layout), char)!;
    const modifier =
      stroke.modifier === 'shift' ? KEY.LEFTSHIFT : stroke.modifier === 'altgr' ? KEY.RIGHTALT : 0;
    if (modifier) key(modifier, 1);
    key(stroke.code, 1);
    key(stroke.code, 0);
    if (modifier) key(modifier, 0);
    t += gapUs;
  }
  return Uint8Array.from(events.flatMap((event) => [...encodeInputEvent(event)]));
}

describe('keyboard-wedge scanner reading input_event records from a FIFO', () => {
  let dir: string | undefined;
  let writer: FileHandle | undefined;
  let scanner: WedgeScanner | undefined;
  afterEach(async () => {
    await scanner?.disconnect();
    await writer?.close().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function start(layout: KeymapName = 'us') {
    dir = await mkdtemp(path.join(tmpdir(), 'carrel-evdev-'));
    const fifo = path.join(dir, 'event0');
    execFileSync('mkfifo', [fifo]);
    // Read-write: opening never blocks, and the FIFO has a writer while the test runs.
    writer = await open(fifo, constants.O_RDWR);
    scanner = new WedgeScanner({
      id: 'wedge-1',
      transport: new InputDeviceTransport({ path: fifo }),
      clock: systemClock,
      quietMs: 200,
      magstripe: true,
      wedge: { keymap: keymap(layout), terminator: 'enter', maxGapMs: 30, minLength: 4, maxLength: 256 },
      text: {},
    });
    const reads: ScanRead[] = [];
    const rejected: ScanRejection[] = [];
    const lost: Error[] = [];
    scanner.on('event', (type, data) => {
      if (type === 'read') reads.push(data as unknown as ScanRead);
      if (type === 'rejected') rejected.push(data as unknown as ScanRejection);
    });
    scanner.on('disconnected', (error) => lost.push(error));
    await scanner.connect();
    return { reads, rejected, lost, send: (bytes: Uint8Array) => writer!.write(bytes) };
  }

  it('a burst typed by the scanner is one scan; typing is not', async () => {
    const { reads, send } = await start();
    await send(records('hello', 'us', 180_000));
    await send(records('31000001', 'us', 2_000, 2e9));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads).toMatchObject([{ source: 'wedge', kind: 'barcode', value: '31000001' }]);
    expect(scanner!.condition().detail).toMatchObject({ source: 'wedge', keymap: 'us', reads: 1, typing: 5 });
  });

  it('a German scanner read with the German keymap; a magstripe swipe typed by a wedge reader is a card', async () => {
    const { reads, send } = await start('de');
    await send(records('Zeitschrift-Y/2024', 'de', 1_000));
    await send(records(';600649001234567=0000?', 'de', 1_000, 2e9));
    await until(() => (reads.length === 2 ? true : undefined));
    expect(reads.map((r) => [r.source, r.kind, r.value])).toEqual([
      ['wedge', 'barcode', 'Zeitschrift-Y/2024'],
      ['magstripe', 'card', '600649001234567'],
    ]);
  });

  it('records split across writes are read whole', async () => {
    const { reads, send } = await start();
    const bytes = records('31000002', 'us', 1_000);
    for (let at = 0; at < bytes.length; at += 7) await send(bytes.subarray(at, at + 7));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads[0]!.value).toBe('31000002');
  });

  it('a burst cut off (no Enter) is rejected when the keyboard is quiet; the FIFO closing loses the link', async () => {
    const { reads, rejected, lost, send } = await start();
    const bytes = records('31000003', 'us', 1_000);
    await send(bytes.subarray(0, bytes.length - 4 * 24));
    await until(() => (rejected.length === 1 ? true : undefined));
    expect(rejected[0]).toMatchObject({ source: 'wedge', code: 'scan_unterminated' });
    expect(reads).toEqual([]);
    await writer!.close();
    writer = undefined;
    await until(() => (lost.length === 1 ? true : undefined));
  });
});
