/**
 * Scanners: the time from the last byte of a scan to the identification on the
 * device's WebSocket (`/api/v1/scanners/:id/identifications`), p50/p99, for a
 * serial scanner on a pty (socat, as a USB-CDC scanner would be) and a
 * keyboard-wedge scanner's input_event records written into a FIFO, each beside
 * the floor of its path measured in the same run: the same bytes from the far
 * end to a bare reader of the near end, which sends the code on a bare WebSocket
 * server in this process to a client of it — no Carrel between; p50 ÷ floor p50.
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

/** Times `SCANS` rounds: `send(i)` writes scan i, `arrival` resolves when it has been seen. */
async function measure(send: (i: number) => void, arrival: (i: number) => Promise<void>): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < SCANS + 20; i++) {
    const seen = arrival(i);
    const start = performance.now();
    send(i);
    await seen;
    if (i >= 20) samples.push(performance.now() - start); // the first ones warm up
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return summary(samples);
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
  execFileSync('mkfifo', [fifo]);
  const fifoWriter = openSync(fifo, constants.O_RDWR);
  const pty = await createPtyPair();
  const far = new SerialPort({ path: pty.devicePath, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => far.open((error) => (error ? reject(error) : resolve())));
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
  let stopped = false;
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

    const serialWait = await stream('bench-serial');
    const serial = await measure(
      (i) => far.write(Buffer.from(`${code(i)}\r`)),
      (i) => serialWait.arrival(code(i)),
    );
    const wedgeWait = await stream('bench-wedge');
    let wedgeUs = Date.now() * 1000;
    const wedge = await measure(
      (i) => {
        wedgeUs += 1_000_000;
        writeSync(fifoWriter, wedgeRecords({ ...WEDGE }, code(i), wedgeUs));
      },
      (i) => wedgeWait.arrival(code(i)),
    );
    await desk.stop();
    stopped = true;

    // The floors: the same links, a bare reader at the near end.
    const near = new SerialPort({ path: pty.hostPath, baudRate: 9600, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => near.open((error) => (error ? reject(error) : resolve())));
    let serialBytes = '';
    const serialFloorWait = await bareSocket();
    near.on('data', (chunk: Buffer) => {
      serialBytes += chunk.toString('latin1');
      let end = serialBytes.indexOf('\r');
      while (end >= 0) {
        serialFloorWait.send(serialBytes.slice(0, end));
        serialBytes = serialBytes.slice(end + 1);
        end = serialBytes.indexOf('\r');
      }
    });
    const serialFloor = await measure(
      (i) => far.write(Buffer.from(`${code(i)}\r`)),
      (i) => serialFloorWait.arrival(code(i)),
    );
    await new Promise<void>((resolve) => near.close(() => resolve()));
    await serialFloorWait.close();

    const reader = new Socket({
      fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
      readable: true,
      writable: false,
    });
    let wedgeBytes = 0;
    let expected = 0;
    let wedgeValue = '';
    const wedgeFloorWait = await bareSocket();
    reader.on('data', (chunk: Buffer) => {
      wedgeBytes += chunk.length;
      if (wedgeBytes >= expected && wedgeValue) {
        wedgeFloorWait.send(wedgeValue);
        wedgeValue = '';
      }
    });
    const wedgeFloor = await measure(
      (i) => {
        wedgeUs += 1_000_000;
        const records = wedgeRecords({ ...WEDGE }, code(i), wedgeUs);
        expected = wedgeBytes + records.length;
        wedgeValue = code(i);
        writeSync(fifoWriter, records);
      },
      (i) => wedgeFloorWait.arrival(code(i)),
    );
    reader.destroy();
    await wedgeFloorWait.close();
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
    if (!stopped) await desk.stop().catch(() => {});
    await new Promise<void>((resolve) => (far.isOpen ? far.close(() => resolve()) : resolve()));
    await pty.close();
    closeSync(fifoWriter);
    rmSync(dir, { recursive: true, force: true });
  }
}
