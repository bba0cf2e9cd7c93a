import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IlsFixtureInput } from '../simulators/ils/index.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { type AnySip2MessageInput, Sip2Codec, Sip2Framer } from '../src/protocols/sip2/index.js';
import type { BenchResult } from './types.js';

/**
 * A checkout through Carrel's HTTP API against the same checkout sent straight
 * over SIP2 to the same simulated ILS, at 1, 50 and 200 concurrent kiosks.
 * Every checkout is of a different item, so every one is a real loan. The ILS
 * simulator, the gateway and the load run in three processes.
 */
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const LEVELS = [
  { kiosks: 1, checkouts: 400 },
  { kiosks: 50, checkouts: 3000 },
  { kiosks: 200, checkouts: 4000 },
];
const PATRONS = 200;

function benchFixture(items: number): IlsFixtureInput {
  return {
    library: { name: 'Bench Library' },
    institutions: [{ id: 'BENCH', name: 'Bench Library', branches: [{ code: 'MAIN', name: 'Main' }] }],
    accounts: [
      { loginUserId: 'carrel', password: 'carrelpw', location: 'MAIN', institution: 'BENCH' },
      { loginUserId: 'kiosk', password: 'kioskpw', location: 'MAIN', institution: 'BENCH' },
    ],
    circulation: { loanLimit: 1_000_000 },
    patrons: Array.from({ length: PATRONS }, (_, i) => ({
      barcode: `P${String(i).padStart(5, '0')}`,
      pin: '1234',
      name: `Bench Patron ${i}`,
    })),
    items: Array.from({ length: items }, (_, i) => ({
      barcode: `I${String(i).padStart(7, '0')}`,
      title: `Bench Title ${i}`,
      owningBranch: 'MAIN',
    })),
  } as IlsFixtureInput;
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

function summarise(latencies: number[], elapsedMs: number, errors: number): Measured {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { perSecond: (latencies.length / elapsedMs) * 1000, p50: at(0.5), p99: at(0.99), errors };
}

/** Runs `count` jobs over `workers` concurrent workers; each job returns false on an error. */
async function drive(workers: number, count: number, job: (worker: number, n: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (;;) {
        const n = next++;
        if (n >= count) return;
        const t = performance.now();
        if (!(await job(worker, n))) errors++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summarise(latencies, performance.now() - began, errors);
}

/** A self-check speaking SIP2 straight to the ILS: one connection, one request at a time. */
class DirectKiosk {
  private readonly codec = new Sip2Codec({ charset: 'utf-8' });
  private readonly framer = new Sip2Framer();
  private waiting: ((frame: Uint8Array) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) if (event.type === 'frame') this.waiting?.(event.frame);
    });
  }

  static async open(port: number): Promise<DirectKiosk> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    const kiosk = new DirectKiosk(socket);
    const login = await kiosk.exchange({
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: 'kiosk',
      loginPassword: 'kioskpw',
      locationCode: 'MAIN',
    });
    if (!(login.ok && login.message.type === 'loginResponse' && login.message.ok))
      throw new Error('kiosk login refused');
    return kiosk;
  }

  exchange(message: AnySip2MessageInput) {
    return new Promise<ReturnType<Sip2Codec['decode']>>((resolve) => {
      this.waiting = (frame) => resolve(this.codec.decode(frame));
      this.socket.write(this.codec.encode(message));
    });
  }

  async checkout(patron: string, item: string): Promise<boolean> {
    const answer = await this.exchange({
      type: 'checkout',
      scRenewalPolicy: false,
      noBlock: false,
      transactionDate: new Date(),
      nbDueDate: null,
      institutionId: 'BENCH',
      patronIdentifier: patron,
      itemIdentifier: item,
      terminalPassword: '',
      patronPassword: '1234',
    } as AnySip2MessageInput);
    return answer.ok && answer.message.type === 'checkoutResponse' && answer.message.ok === true;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function startGateway(configFile: string, dir: string): Promise<{ child: ChildProcess; api: string }> {
  const child = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, cli, 'start', '--config', configFile, '--log-level', 'warn'],
    {
      cwd: dir,
      env: { ...process.env, ...DAEMON_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const api = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /API\s+(http:\/\/\S+)\/api\/v1/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`carrel exited with ${code}: ${stderr}`)));
  });
  for (;;) {
    const response = await fetch(`${api}/api/v1/devices/ils`).catch(() => undefined);
    if (response && ((await response.json()) as { status: string }).status === 'online') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, api };
}

/** The simulated ILS in a process of its own (`carrel sim ils`), as a real ILS would be. */
async function startIls(fixtureFile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, 'sim', 'ils', '--fixture', fixtureFile, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /SIP2\s+tcp:\/\/[^:]+:(\d+)/.exec(out);
      if (match?.[1]) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`ILS simulator exited with ${code}: ${out}`)));
  });
  return { child, port };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<BenchResult[]> {
  const itemsNeeded = 2 * LEVELS.reduce((sum, level) => sum + level.checkouts, 0);
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-circulation-'));
  const fixtureFile = join(dir, 'fixture.json');
  writeFileSync(fixtureFile, JSON.stringify(benchFixture(itemsNeeded)));
  const ils = await startIls(fixtureFile);
  const configFile = join(dir, 'carrel.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      version: 1,
      http: { port: 0 },
      mqtt: { mode: 'off' },
      ils: {
        host: '127.0.0.1',
        port: ils.port,
        user: 'carrel',
        password: 'carrelpw',
        location: 'MAIN',
        institution: 'BENCH',
        pool: { size: 32, maxWaiting: 1000 },
      },
    }),
  );
  const gateway = await startGateway(configFile, dir);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (url: string, body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let item = 0;
  const nextItem = () => `I${String(item++).padStart(7, '0')}`;
  const results: BenchResult[] = [];
  try {
    for (const { kiosks, checkouts } of LEVELS) {
      const viaCarrel = await drive(kiosks, checkouts, async (worker) => {
        const status = await post(
          `${gateway.api}/api/v1/checkouts`,
          JSON.stringify({
            patron: `P${String(worker % PATRONS).padStart(5, '0')}`,
            pin: '1234',
            item: nextItem(),
          }),
        ).catch(() => 0);
        return status === 200;
      });
      const direct = await Promise.all(Array.from({ length: kiosks }, () => DirectKiosk.open(ils.port)));
      const straight = await drive(kiosks, checkouts, (worker) =>
        direct[worker]!.checkout(`P${String(worker % PATRONS).padStart(5, '0')}`, nextItem()),
      );
      for (const kiosk of direct) kiosk.close();
      const added = viaCarrel.p99 - straight.p99;
      results.push(
        { name: `${kiosks} kiosks: Carrel HTTP checkouts/s`, value: viaCarrel.perSecond, unit: '/s' },
        {
          name: `${kiosks} kiosks: Carrel p50 / p99`,
          value: viaCarrel.p50,
          unit: `ms / ${viaCarrel.p99.toFixed(2)} ms`,
        },
        { name: `${kiosks} kiosks: direct SIP2 checkouts/s`, value: straight.perSecond, unit: '/s' },
        {
          name: `${kiosks} kiosks: direct p50 / p99`,
          value: straight.p50,
          unit: `ms / ${straight.p99.toFixed(2)} ms`,
        },
        {
          name: `${kiosks} kiosks: Carrel errors`,
          value: viaCarrel.errors + straight.errors,
          unit: 'errors',
          ...(kiosks === 200 ? { target: '0', met: viaCarrel.errors + straight.errors === 0 } : {}),
        },
        {
          name: `${kiosks} kiosks: p99 Carrel adds`,
          value: added,
          unit: 'ms',
          ...(kiosks === 50 ? { target: '≤ 1 ms', met: added <= 1 } : {}),
        },
      );
    }
  } finally {
    agent.destroy();
    await stopChild(gateway.child);
    await stopChild(ils.child);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
