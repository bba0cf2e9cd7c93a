import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { type Clock, ManualClock, systemClock } from '../../../src/core/clock.js';
import { type ScanRead, type ScanRejection, SerialScanner } from '../../../src/devices/scanner/index.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { SerialFarEnd } from '../../helpers/serial-far-end.js';
import { until } from '../../helpers/until.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('serial scanner over a pty', () => {
  let pair: PtyPair | undefined;
  let far: SerialFarEnd | undefined;
  let scanner: SerialScanner | undefined;
  afterEach(async () => {
    await scanner?.disconnect();
    await far?.close();
    await pair?.close();
  });

  async function start(
    options: {
      prefix?: string;
      aim?: boolean;
      maxLength?: number;
      terminator?: 'cr' | 'crlf';
      clock?: Clock;
      quietMs?: number;
    } = {},
  ) {
    pair = await createPtyPair();
    far = await SerialFarEnd.open(pair.devicePath);
    const transport = new SerialTransport({ path: pair.hostPath, baudRate: 9600 });
    scanner = new SerialScanner({
      id: 'scanner-1',
      transport,
      clock: options.clock ?? systemClock,
      quietMs: options.quietMs ?? 100,
      // The desk's default.
      maxGapMs: 100,
      magstripe: true,
      scan: {
        terminator: options.terminator ?? 'cr',
        maxLength: options.maxLength ?? 128,
        prefix: options.prefix,
        aim: options.aim,
      },
    });
    const reads: ScanRead[] = [];
    const rejected: ScanRejection[] = [];
    scanner.on('event', (type, data) => {
      if (type === 'read') reads.push(data as unknown as ScanRead);
      if (type === 'rejected') rejected.push(data as unknown as ScanRejection);
    });
    await scanner.connect();
    // Heard after the scanner has taken them (its listener came first): how many bytes arrived.
    let arrived = 0;
    transport.on('data', (chunk: Buffer) => {
      arrived += chunk.length;
    });
    return { reads, rejected, far: far!, arrived: () => arrived };
  }

  it('reads a scan with its AIM symbology identifier', async () => {
    const { reads, far } = await start({ aim: true });
    await far.send(ascii(']E04006381333931\r'));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads[0]).toMatchObject({
      source: 'serial',
      kind: 'barcode',
      value: '4006381333931',
      symbology: { aim: ']E0', name: 'ean-upc' },
      raw: ']E04006381333931',
    });
  });

  it('a swipe (no AIM configured) is a card with its track-2 number', async () => {
    const { reads, far } = await start();
    await far.send(ascii(';600649001234567=0000?\r31000001\r'));
    await until(() => (reads.length === 2 ? true : undefined));
    expect(reads.map((r) => [r.source, r.kind, r.value])).toEqual([
      ['magstripe', 'card', '600649001234567'],
      ['serial', 'barcode', '31000001'],
    ]);
  });

  it('a scan left without its terminator is rejected once the line is quiet, and nothing is read', async () => {
    const { reads, rejected, far } = await start();
    await far.send(ascii('3100000'));
    await until(() => (rejected.length === 1 ? true : undefined));
    expect(rejected[0]).toMatchObject({ source: 'serial', code: 'scan_unterminated' });
    expect(reads).toEqual([]);
    await far.send(ascii('31000002\r'));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads[0]!.value).toBe('31000002');
  });

  it('a scanner set to end its scans with another terminator: each scan is refused saying which it sent and what to set', async () => {
    const { reads, rejected, far } = await start();
    await far.send(ascii('31000001\n'));
    await until(() => (rejected.length === 1 ? true : undefined));
    expect(rejected[0]).toMatchObject({ source: 'serial', code: 'scan_wrong_terminator' });
    expect(rejected[0]!.message).toContain('line feed (LF)');
    expect(rejected[0]!.message).toContain("terminator: 'lf'");
    expect(rejected[0]!.message).not.toContain('31000001');
    await far.send(ascii('31000002\t'));
    await until(() => (rejected.length === 2 ? true : undefined));
    expect(rejected[1]!.message).toContain("terminator: 'tab'");
    expect(reads).toEqual([]);
    // Set as it should be, it reads.
    await far.send(ascii('31000003\r'));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads[0]!.value).toBe('31000003');
  });

  it('a scanner sending CR LF where CR is configured (the default): each scan read once, nothing refused after it', async () => {
    const { reads, rejected, far } = await start();
    await far.send(ascii('31000001\r\n'));
    await until(() => (reads.length === 1 ? true : undefined));
    // The line then stays quiet well past quietMs (100 ms): the LF after the CR is no scan.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await far.send(ascii('31000002\r\n'));
    await until(() => (reads.length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(reads.map((r) => r.value)).toEqual(['31000001', '31000002']);
    expect(rejected).toEqual([]);
    expect(scanner!.condition().detail).toMatchObject({ reads: 2, rejected: 0 });
  });

  it('CR LF expected and a scanner sending CR alone: refused, saying so', async () => {
    const { reads, rejected, far } = await start({ terminator: 'crlf' });
    await far.send(ascii('31000001\r'));
    await until(() => (rejected.length === 1 ? true : undefined));
    expect(rejected[0]).toMatchObject({ code: 'scan_wrong_terminator' });
    expect(rejected[0]!.message).toContain("terminator: 'cr'");
    expect(reads).toEqual([]);
  });

  it('10 kB without a terminator, invalid UTF-8 and control characters: clear rejections, then scans go on', async () => {
    const { reads, rejected, far } = await start();
    await far.send(ascii('9'.repeat(10_000)));
    await far.send(Uint8Array.of(0x0d, 0x41, 0xff, 0x0d, 0x31, 0x1b, 0x32, 0x0d));
    await far.send(ascii('31000003\r'));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(rejected.map((r) => r.code)).toEqual([
      'scan_too_long',
      'scan_invalid_utf8',
      'scan_control_character',
    ]);
    expect(reads[0]!.value).toBe('31000003');
    // The rejection says why, never what was sent.
    expect(JSON.stringify(rejected)).not.toContain('999');
  });

  it('line noise just before a scan is refused on its own, and the scan after the gap is read', async () => {
    // The desk's default: a scan without its terminator is given up after 300 ms of quiet.
    const clock = new ManualClock(Date.parse('2026-12-07T10:00:00Z'));
    const { reads, rejected, far, arrived } = await start({ clock, quietMs: 300 });
    // A burst of noise on the line (a cable moved, a scanner powering up): not UTF-8, no terminator.
    await far.send(Uint8Array.of(0xff, 0xf8, 0x00));
    await until(() => (arrived() === 3 ? true : undefined));
    // 150 ms later, well within quietMs, the patron's card is scanned.
    clock.advance(150);
    await far.send(ascii('21000001\r'));
    await until(() => (reads.length === 1 ? true : undefined));
    expect(reads[0]).toMatchObject({ source: 'serial', kind: 'barcode', value: '21000001' });
    expect(rejected.map((r) => r.code)).toEqual(['scan_unterminated']);
    // A scan arriving in pieces close together (a slow line, a serial device server) is still one scan.
    await far.send(ascii('3100'));
    await until(() => (arrived() === 16 ? true : undefined));
    clock.advance(20);
    await far.send(ascii('0002\r'));
    await until(() => (reads.length === 2 ? true : undefined));
    expect(reads[1]!.value).toBe('31000002');
    expect(rejected).toHaveLength(1);
  });

  it('health counts reads and rejections', async () => {
    const { reads, far } = await start({ prefix: 'S' });
    await far.send(ascii('S31000001\rX\r'));
    await until(() => (reads.length === 1 && scanner!.condition().detail.rejected === 1 ? true : undefined));
    expect(scanner!.condition()).toMatchObject({
      status: 'online',
      detail: { source: 'serial', reads: 1, rejected: 1, lastRejected: 'scan_affix_missing' },
    });
  });
});
