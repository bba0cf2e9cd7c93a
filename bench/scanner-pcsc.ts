/**
 * Card readers: the time from a card put on the reader (the virtual card connecting to
 * pcscd's vpcd reader) to its identification on the device's WebSocket, p50/p99, beside
 * the floor measured on the same presentations: until pcscd first speaks to the card (it
 * polls a reader like vpcd every 400 ms, which dominates both).
 * Uses a running pcscd, or starts one (root): also where a pcscd stopped by hand left its socket
 * behind, which nothing answers on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { presentCard } from '../simulators/scanner/virtual-card.js';
import { configSchema } from '../src/app/config.js';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { createDesk } from '../src/app/desk.js';
import { silentLogger } from '../src/core/logger.js';
import type { BenchResult } from './types.js';

const CARDS = Number(process.env.BENCH_CARDS ?? 40);
const SOCKET = '/run/pcscd/pcscd.comm';
const PID_FILE = '/run/pcscd/pcscd.pid';
const READER = 'Virtual PCD 00 00';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface DeviceHealth {
  status: string;
  reason: string | null;
  lastError: { code?: string; message?: string } | null;
}

/**
 * Why the suite cannot run, in words: what the card reader device says, and what it needs — a
 * pcscd that serves vpcd's reader (a pcscd stopped by hand can leave its socket behind, and one
 * started before vpcd's reader file was installed does not list the reader).
 */
function notOnline(device: DeviceHealth): string {
  const said = [device.reason, device.lastError?.message].filter(Boolean).join(': ');
  return (
    `bench-card (PC/SC reader "${READER}") did not come online within 15 s` +
    `${said ? ` — it says ${said}` : ` — it is ${device.status}`}. ` +
    `The PC/SC suite needs pcscd running with vpcd's reader (Debian's vsmartcard-vpcd), listening ` +
    `for its card on 127.0.0.1:35963: .ci/run shows how to start one`
  );
}

/** Whether a pcscd answers on its socket (a socket file alone may be a stopped one's). */
function pcscdAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(SOCKET);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function withPcscd<T>(work: () => Promise<T>): Promise<T> {
  let child: ChildProcess | undefined;
  if (!(await pcscdAnswers())) {
    // What a stopped pcscd left: the new one would take the pid file for another's and not start.
    rmSync(SOCKET, { force: true });
    rmSync(PID_FILE, { force: true });
    child = spawn('/usr/sbin/pcscd', ['--foreground'], { stdio: 'ignore' });
    child.once('error', () => {});
    const deadline = performance.now() + 10_000;
    while (!existsSync(SOCKET)) {
      if (performance.now() > deadline) throw new Error('pcscd did not start (installed? root?)');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await work();
  } finally {
    child?.kill('SIGTERM');
  }
}

/**
 * Presents and removes a card CARDS times; `seen()` resolves when Carrel's identification
 * arrives. Each round also times the floor: presentation → pcscd's first command to the card
 * (it asks for the ATR or powers the card once its poll has found it).
 */
async function rounds(
  seen: () => Promise<void>,
  gone: () => Promise<void>,
): Promise<{ carrel: number[]; floor: number[] }> {
  const carrel: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < CARDS; i++) {
    // Cards come at any moment of pcscd's poll.
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    const arrived = seen();
    const start = performance.now();
    const card = await presentCard({ uid: Uint8Array.of(0x04, 0xa2, 0x24, i) });
    await card.seen;
    floor.push(performance.now() - start);
    await arrived;
    carrel.push(performance.now() - start);
    const left = gone();
    await card.remove();
    await left;
  }
  return { carrel: carrel.sort((a, b) => a - b), floor: floor.sort((a, b) => a - b) };
}

export async function run(): Promise<BenchResult[]> {
  return withPcscd(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-pcsc-'));
    const base = defaultDeskConfig();
    const desk = await createDesk({
      config: configSchema.parse({
        ...base,
        http: { ...base.http, port: 0 },
        mqtt: { mode: 'off' },
        storage: { ...base.storage, path: path.join(dir, 'carrel.db') },
        devices: [
          ...base.devices,
          { id: 'bench-card', kind: 'scanner', driver: 'pcsc', card: { reader: READER } },
        ],
      }),
      logger: silentLogger(),
      version: 'bench',
    });
    await desk.start();
    let measured: { carrel: number[]; floor: number[] };
    try {
      const api = desk.urls().api!;
      const deadline = performance.now() + 15_000;
      for (;;) {
        const device = (await (await fetch(`${api}/devices/bench-card`)).json()) as DeviceHealth;
        if (device.status === 'online') break;
        if (performance.now() > deadline) throw new Error(notOnline(device));
        await new Promise((r) => setTimeout(r, 20));
      }
      const socket = new WebSocket(`${api.replace('http', 'ws')}/scanners/bench-card/identifications`);
      let onIdentified: (() => void) | undefined;
      let onRemoved: (() => void) | undefined;
      socket.on('message', (raw) => {
        const { event } = JSON.parse(String(raw)) as { event: string };
        if (event === 'scanner.identified') onIdentified?.();
        if (event === 'scanner.card_removed') onRemoved?.();
      });
      await new Promise((resolve) => socket.once('open', resolve));
      measured = await rounds(
        () => new Promise<void>((resolve) => (onIdentified = resolve)),
        () => new Promise<void>((resolve) => (onRemoved = resolve)),
      );
      socket.close();
    } finally {
      await desk.stop();
      rmSync(dir, { recursive: true, force: true });
    }

    return [
      { name: 'PC/SC: card presented → WebSocket, p50', value: percentile(measured.carrel, 50), unit: 'ms' },
      { name: 'PC/SC: card presented → WebSocket, p99', value: percentile(measured.carrel, 99), unit: 'ms' },
      {
        name: 'floor: card presented → pcscd powers it, p50',
        value: percentile(measured.floor, 50),
        unit: 'ms',
      },
      {
        name: 'floor: card presented → pcscd powers it, p99',
        value: percentile(measured.floor, 99),
        unit: 'ms',
      },
    ];
  });
}
