/**
 * Scanners, against the gateway as deployed (`carrel start` in its own process, the daemon's
 * node flags, a config file holding two scanners): the time from the last byte of a scan to the
 * identification on the device's WebSocket (`/api/v1/scanners/:id/identifications`), p50/p99,
 * for a serial scanner on a pty (socat, as a USB-CDC scanner would be) and a keyboard-wedge
 * scanner's input_event records written into a FIFO (evdev). This process is both scanners —
 * it writes the bytes at the pty's far end and into the FIFO — and the WebSocket client, as a
 * kiosk is: another process than the daemon.
 *
 * Beside each, the floor of its path, measured in the same run: a bare process
 * (bare-scanner.ts, the daemon's node flags) reading its own pty and FIFO and doing the minimum
 * a correct reader must — the serial bytes split at the terminator; the wedge's records read,
 * key presses mapped to characters through the US keymap (Shift held or not), ended at Enter —
 * then one JSON message on a bare WebSocket server. The daemon and the floor run side by side
 * and take turns scan by scan (which goes first alternates), each waiting for its
 * identification before the other's scan is written, so the machine's other work weighs on
 * both alike; p50 ÷ floor p50. Both are warmed up, then left to settle, before they are timed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import WebSocket from 'ws';
import { createPtyPair } from '../simulators/common/pty-pair.js';
import { wedgeRecords } from '../simulators/scanner/scanner-model.js';
import { SETTLE_AFTER_START_MS, startBareProcess, startCarrel } from './carrel-process.js';
import type { BenchResult } from './types.js';

const SCANS = 400;
const WARM_UP = 20;
const TARGET_P99_MS = 5;
const TARGET_RATIO = 1.3;
/** The pause after each scan: a scanner is read a few times a second at most, not back to back. */
const GAP_MS = 2;
/**
 * How long both processes idle after the warm-up before they are timed: V8 is still collecting
 * the start's garbage for ~30 s after a start (carrel-process.ts says what `--trace-gc` shows);
 * with 15 s its memory reducer's steps landed on the 400 scans (serial p99 12.6 ms, 2.9 before).
 */
const SETTLE_MS = SETTLE_AFTER_START_MS;
const WEDGE = { terminator: 'cr', prefix: '', suffix: '', aim: false, keymap: 'us', keyGapUs: 1000 } as const;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Latency {
  p50: number;
  p99: number;
}

function summary(samples: number[]): Latency {
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** A scanner and the WebSocket its identifications come out on: the daemon's or the floor's. */
interface ScanPath {
  /** Writes a scan of `value`, terminator included. */
  send(value: string): void;
  socketUrl: string;
}

/** A path connected: a scan, and the time from its writing to its identification on the WebSocket. */
interface OpenPath {
  /** Resolves with the latency in ms (rejects after 5 s). */
  scan(value: string): Promise<number>;
  close(): void;
}

async function openPath(path: ScanPath): Promise<OpenPath> {
  const socket = new WebSocket(path.socketUrl);
  const waiting = new Map<string, (at: number) => void>();
  socket.on('message', (raw) => {
    const at = performance.now();
    const message = JSON.parse(String(raw)) as { event: string; data: { value: string } };
    if (message.event === 'scanner.identified') waiting.get(message.data.value)?.(at);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    scan(value) {
      return new Promise<number>((resolve, reject) => {
        const timeout = setTimeout(() => {
          waiting.delete(value);
          reject(new Error(`the scan ${value} never reached ${path.socketUrl}`));
        }, 5000);
        const start = performance.now();
        waiting.set(value, (at) => {
          clearTimeout(timeout);
          waiting.delete(value);
          resolve(at - start);
        });
        path.send(value);
      });
    },
    close() {
      socket.close();
    },
  };
}

let next = 0;
/** A new library barcode for every scan, so no identification is mistaken for another's. */
const code = () => `3${String(1_000_000 + next++).padStart(7, '0')}`;

/** `count` scans on each of the two paths, taking turns (which goes first alternates); their latencies. */
async function takeTurns(paths: readonly [OpenPath, OpenPath], count: number): Promise<[number[], number[]]> {
  const latencies: [number[], number[]] = [[], []];
  for (let i = 0; i < count; i++) {
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      latencies[k]!.push(await paths[k]!.scan(code()));
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
  }
  return latencies;
}

async function openPort(devicePath: string): Promise<SerialPort> {
  const port = new SerialPort({ path: devicePath, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

async function online(api: string, id: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const { status } = (await (await fetch(`${api}/api/v1/devices/${id}`)).json()) as { status: string };
    if (status === 'online') return;
    if (performance.now() > deadline) throw new Error(`${id} did not come online`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(): Promise<BenchResult[]> {
  // Tail latencies on a shared machine say as much about its other work as about Carrel's.
  const load: BenchResult = {
    name: 'machine load average (1 min) at the start',
    value: loadavg()[0]!,
    unit: `on ${cpus().length} cores`,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-scanner-'));
  const fifo = path.join(dir, 'event0');
  const floorFifo = path.join(dir, 'event1');
  execFileSync('mkfifo', [fifo]);
  execFileSync('mkfifo', [floorFifo]);
  // Held open read-write here, so each FIFO has a writer before its reader opens it.
  const fifoWriter = openSync(fifo, constants.O_RDWR);
  const floorFifoWriter = openSync(floorFifo, constants.O_RDWR);
  // One pty pair for the daemon's scanner, one for the floor's; both far ends here.
  const pty = await createPtyPair();
  const floorPty = await createPtyPair();
  const far = await openPort(pty.devicePath);
  const floorFar = await openPort(floorPty.devicePath);
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const daemon = await startCarrel([
      {
        id: 'bench-serial',
        kind: 'scanner',
        driver: 'serial',
        transport: { type: 'serial', path: pty.hostPath, baudRate: 9600 },
      },
      { id: 'bench-wedge', kind: 'scanner', driver: 'evdev', device: fifo },
    ]);
    stops.push(() => daemon.stop());
    const bare = await startBareProcess(
      'bare-scanner.js',
      [floorPty.hostPath, floorFifo],
      /scanners serial (ws:\/\/\S+) wedge (ws:\/\/\S+)/,
    );
    stops.push(() => bare.stop());
    await online(daemon.api, 'bench-serial');
    await online(daemon.api, 'bench-wedge');

    const stream = (id: string) =>
      `${daemon.api.replace('http', 'ws')}/api/v1/scanners/${id}/identifications`;
    const serialScan = (port: SerialPort) => (value: string) => port.write(Buffer.from(`${value}\r`));
    // The kernel's timestamps: each scan a second after the last, its keys 1 ms apart.
    let wedgeUs = Date.now() * 1000;
    const wedgeScan = (fd: number) => (value: string) => {
      wedgeUs += 1_000_000;
      writeSync(fd, wedgeRecords({ ...WEDGE }, value, wedgeUs));
    };
    const open = async (carrel: ScanPath, floor: ScanPath) => {
      const paths = [await openPath(carrel), await openPath(floor)] as const;
      stops.push(() => {
        for (const opened of paths) opened.close();
      });
      return paths;
    };
    const serialPaths = await open(
      { send: serialScan(far), socketUrl: stream('bench-serial') },
      { send: serialScan(floorFar), socketUrl: bare.match[1]! },
    );
    const wedgePaths = await open(
      { send: wedgeScan(fifoWriter), socketUrl: stream('bench-wedge') },
      { send: wedgeScan(floorFifoWriter), socketUrl: bare.match[2]! },
    );

    // Warm up (the first scans pay for code not yet compiled), then settle.
    await takeTurns(serialPaths, WARM_UP);
    await takeTurns(wedgePaths, WARM_UP);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const [serial, serialFloor] = (await takeTurns(serialPaths, SCANS)).map(summary) as [Latency, Latency];
    const [wedge, wedgeFloor] = (await takeTurns(wedgePaths, SCANS)).map(summary) as [Latency, Latency];

    const met = (l: Latency) => l.p99 <= TARGET_P99_MS;
    const ratio = (name: string, l: Latency, floor: Latency): BenchResult => {
      const value = l.p50 / floor.p50;
      return { name, value, unit: '×', target: `≤ ${TARGET_RATIO}×`, met: value <= TARGET_RATIO };
    };
    return [
      load,
      { name: `serial (pty): last byte → WebSocket, p50 (n=${SCANS})`, value: serial.p50, unit: 'ms' },
      {
        name: 'serial (pty): last byte → WebSocket, p99',
        value: serial.p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: met(serial),
      },
      {
        name: 'floor: a bare process (split at CR, one ws send) pty → WebSocket, p50',
        value: serialFloor.p50,
        unit: 'ms',
      },
      { name: 'floor: the bare process, serial, p99', value: serialFloor.p99, unit: 'ms' },
      ratio('serial (pty): p50 ÷ floor p50', serial, serialFloor),
      { name: `evdev (FIFO): last record → WebSocket, p50 (n=${SCANS})`, value: wedge.p50, unit: 'ms' },
      {
        name: 'evdev (FIFO): last record → WebSocket, p99',
        value: wedge.p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: met(wedge),
      },
      {
        name: 'floor: a bare process (records, keymap, Enter, one ws send) FIFO → WebSocket, p50',
        value: wedgeFloor.p50,
        unit: 'ms',
      },
      { name: 'floor: the bare process, evdev, p99', value: wedgeFloor.p99, unit: 'ms' },
      ratio('evdev (FIFO): p50 ÷ floor p50', wedge, wedgeFloor),
    ];
  } finally {
    for (const stop of stops.reverse()) await stop();
    for (const port of [far, floorFar])
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    await pty.close();
    await floorPty.close();
    closeSync(fifoWriter);
    closeSync(floorFifoWriter);
    rmSync(dir, { recursive: true, force: true });
  }
}
