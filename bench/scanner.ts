/**
 * Scanners: the time from the last byte of a scan to the identification on the
 * device's WebSocket (`/api/v1/scanners/:id/identifications`), p50/p99, for a
 * serial scanner on a pty (socat, as a USB-CDC scanner would be) and a
 * keyboard-wedge scanner's input_event records written into a FIFO, each beside
 * the floor of its path measured in the same run: the same bytes from the far
 * end of a second pty (a second FIFO) to a bare reader of its near end, which
 * sends the code on a bare WebSocket server in this process to a client of it —
 * no Carrel between; the two take turns scan by scan while the desk runs, so
 * the desk's simulators in this process weigh on both alike; p50 ÷ floor p50.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import WebSocket, { WebSocketServer } from 'ws';
import { createPtyPair } from '../simulators/common/pty-pair.js';
import { wedgeRecords } from '../simulators/scanner/scanner-model.js';
import { configSchema } from '../src/app/config.js';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { createDesk } from '../src/app/desk.js';
import { silentLogger } from '../src/core/logger.js';
import type { BenchResult } from './types.js';

const SCANS = 400;
const TARGET_P99_MS = 5;
const TARGET_RATIO = 1.3;
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

interface Path {
  /** Writes scan i. */
  send(i: number): void;
  /** Resolves when scan i has been seen at the far end of the path. */
  arrival(i: number): Promise<void>;
}

/**
 * Times `SCANS` rounds of each path, taking turns scan by scan, so whatever else the process
 * and the machine are doing (the desk's simulators poll in this process) weighs on both alike.
 */
async function measurePair(carrel: Path, floor: Path): Promise<[Latency, Latency]> {
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < SCANS + 20; i++) {
    for (const [k, path] of [carrel, floor].entries()) {
      const seen = path.arrival(i);
      const start = performance.now();
      path.send(i);
      await seen;
      if (i >= 20) samples[k]!.push(performance.now() - start); // the first ones warm up
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  return [summary(samples[0]), summary(samples[1])];
}

/** Resolves each awaited value once it is seen; `seen(v)` is called by whoever sees it. */
function waiter() {
  const pending = new Map<string, () => void>();
  return {
    arrival: (value: string) => new Promise<void>((resolve) => pending.set(value, resolve)),
    seen: (value: string) => {
      pending.get(value)?.();
      pending.delete(value);
    },
  };
}

/**
 * The floor's far side: a bare WebSocket server in this process (as the desk is) and a
 * client of it; `send(value)` sends an identification as the desk would, and the client
 * hands it to the returned waiter.
 */
async function bareSocket() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const w = waiter();
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  client.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { event: string; data: { value: string } };
    if (message.event === 'scanner.identified') w.seen(message.data.value);
  });
  await new Promise((resolve) => client.once('open', resolve));
  return {
    ...w,
    send(value: string) {
      const text = JSON.stringify({
        event: 'scanner.identified',
        data: { value, symbology: null, at: new Date().toISOString() },
      });
      for (const peer of server.clients) peer.send(text);
    },
    async close() {
      client.close();
      for (const peer of server.clients) peer.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const code = (i: number) => `3${String(1_000_000 + i).padStart(7, '0')}`;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-scanner-'));
  const fifo = path.join(dir, 'event0');
  const floorFifo = path.join(dir, 'event1');
  execFileSync('mkfifo', [fifo]);
  execFileSync('mkfifo', [floorFifo]);
  const fifoWriter = openSync(fifo, constants.O_RDWR);
  const floorFifoWriter = openSync(floorFifo, constants.O_RDWR);
  // One pty pair for the desk's scanner, one for the floor's bare reader; both far ends here.
  const pty = await createPtyPair();
  const floorPty = await createPtyPair();
  const openPort = async (devicePath: string) => {
    const port = new SerialPort({ path: devicePath, baudRate: 9600, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port;
  };
  const far = await openPort(pty.devicePath);
  const floorFar = await openPort(floorPty.devicePath);
  const base = defaultDeskConfig();
  const config = configSchema.parse({
    ...base,
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'off' },
    storage: { ...base.storage, path: path.join(dir, 'carrel.db') },
    devices: [
      ...base.devices,
      {
        id: 'bench-serial',
        kind: 'scanner',
        driver: 'serial',
        transport: { type: 'serial', path: pty.hostPath, baudRate: 9600 },
      },
      { id: 'bench-wedge', kind: 'scanner', driver: 'evdev', device: fifo },
    ],
  });
  const desk = await createDesk({ config, logger: silentLogger(), version: 'bench' });
  await desk.start();
  const sockets: WebSocket[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  try {
    const api = desk.urls().api!;
    for (const id of ['bench-serial', 'bench-wedge']) {
      const deadline = Date.now() + 15_000;
      while (
        ((await (await fetch(`${api}/devices/${id}`)).json()) as { status: string }).status !== 'online'
      ) {
        if (Date.now() > deadline) throw new Error(`${id} did not come online`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const stream = async (id: string) => {
      const w = waiter();
      const socket = new WebSocket(`${api.replace('http', 'ws')}/scanners/${id}/identifications`);
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { event: string; data: { value: string } };
        if (message.event === 'scanner.identified') w.seen(message.data.value);
      });
      await new Promise((resolve) => socket.once('open', resolve));
      sockets.push(socket);
      return w;
    };

    // The serial floor: a bare reader of its own pty's near end, in this process beside the desk.
    const near = await openPort(floorPty.hostPath);
    closers.push(() => new Promise<void>((resolve) => near.close(() => resolve())));
    let serialBytes = '';
    const serialFloorWait = await bareSocket();
    closers.push(() => serialFloorWait.close());
    near.on('data', (chunk: Buffer) => {
      serialBytes += chunk.toString('latin1');
      let end = serialBytes.indexOf('\r');
      while (end >= 0) {
        serialFloorWait.send(serialBytes.slice(0, end));
        serialBytes = serialBytes.slice(end + 1);
        end = serialBytes.indexOf('\r');
      }
    });
    const serialWait = await stream('bench-serial');
    const [serial, serialFloor] = await measurePair(
      { send: (i) => far.write(Buffer.from(`${code(i)}\r`)), arrival: (i) => serialWait.arrival(code(i)) },
      {
        send: (i) => floorFar.write(Buffer.from(`${code(i)}\r`)),
        arrival: (i) => serialFloorWait.arrival(code(i)),
      },
    );

    // The evdev floor: a bare reader of its own FIFO.
    const reader = new Socket({
      fd: openSync(floorFifo, constants.O_RDONLY | constants.O_NONBLOCK),
      readable: true,
      writable: false,
    });
    closers.push(() => {
      reader.destroy();
    });
    let wedgeBytes = 0;
    let expected = 0;
    let wedgeValue = '';
    const wedgeFloorWait = await bareSocket();
    closers.push(() => wedgeFloorWait.close());
    reader.on('data', (chunk: Buffer) => {
      wedgeBytes += chunk.length;
      if (wedgeBytes >= expected && wedgeValue) {
        wedgeFloorWait.send(wedgeValue);
        wedgeValue = '';
      }
    });
    const wedgeWait = await stream('bench-wedge');
    let wedgeUs = Date.now() * 1000;
    const [wedge, wedgeFloor] = await measurePair(
      {
        send: (i) => {
          wedgeUs += 1_000_000;
          writeSync(fifoWriter, wedgeRecords({ ...WEDGE }, code(i), wedgeUs));
        },
        arrival: (i) => wedgeWait.arrival(code(i)),
      },
      {
        send: (i) => {
          wedgeUs += 1_000_000;
          const records = wedgeRecords({ ...WEDGE }, code(i), wedgeUs);
          expected = wedgeBytes + records.length;
          wedgeValue = code(i);
          writeSync(floorFifoWriter, records);
        },
        arrival: (i) => wedgeFloorWait.arrival(code(i)),
      },
    );
    const met = (l: Latency) => l.p99 <= TARGET_P99_MS;
    const ratio = (name: string, l: Latency, floor: Latency): BenchResult => {
      const value = l.p50 / floor.p50;
      return { name, value, unit: '×', target: `≤ ${TARGET_RATIO}×`, met: value <= TARGET_RATIO };
    };
    return [
      { name: 'serial (pty): last byte → WebSocket, p50', value: serial.p50, unit: 'ms' },
      {
        name: 'serial (pty): last byte → WebSocket, p99',
        value: serial.p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: met(serial),
      },
      { name: 'floor: pty far end → bare reader → bare WebSocket, p50', value: serialFloor.p50, unit: 'ms' },
      { name: 'floor: pty far end → bare reader → bare WebSocket, p99', value: serialFloor.p99, unit: 'ms' },
      ratio('serial (pty): p50 ÷ floor p50', serial, serialFloor),
      { name: 'evdev (FIFO): last record → WebSocket, p50', value: wedge.p50, unit: 'ms' },
      {
        name: 'evdev (FIFO): last record → WebSocket, p99',
        value: wedge.p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: met(wedge),
      },
      { name: 'floor: FIFO write → bare reader → bare WebSocket, p50', value: wedgeFloor.p50, unit: 'ms' },
      { name: 'floor: FIFO write → bare reader → bare WebSocket, p99', value: wedgeFloor.p99, unit: 'ms' },
      ratio('evdev (FIFO): p50 ÷ floor p50', wedge, wedgeFloor),
    ];
  } finally {
    for (const socket of sockets) socket.close();
    for (const close of closers.reverse()) await close();
    await desk.stop().catch(() => {});
    for (const port of [far, floorFar])
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    await pty.close();
    await floorPty.close();
    closeSync(fifoWriter);
    closeSync(floorFifoWriter);
    rmSync(dir, { recursive: true, force: true });
  }
}
