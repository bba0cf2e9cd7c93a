/**
 * The circulation benchmark's rig: a simulated ILS in a process of its own
 * (`carrel sim ils`), a Carrel gateway in another (`carrel start`, the daemon's
 * Node flags) pointed at it, and the two kinds of kiosk that check items out —
 * one over Carrel's HTTP API, one speaking SIP2 straight to the ILS.
 *
 * `CARREL_BENCH_CPU_PROF=<dir>`: the gateway, the bare HTTP gateway and the
 * ILS simulator write CPU profiles there when they stop.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IlsFixtureInput } from '../simulators/ils/index.js';
import { type AnySip2MessageInput, Sip2Codec, Sip2Framer } from '../src/protocols/sip2/index.js';
import { spawnCarrel } from './carrel-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const bareRelay = join(here, 'bare-relay.js');
const bareHttpGateway = join(here, 'bare-http-gateway.js');
export const PATRONS = 200;
const PROFILE = process.env.CARREL_BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CARREL_BENCH_CPU_PROF}`]
  : [];

/** The n-th of the fixture's patrons (n wraps round them). */
export function patronOf(n: number): string {
  return `P${String(n % PATRONS).padStart(5, '0')}`;
}

function itemBarcode(n: number): string {
  return `I${String(n).padStart(7, '0')}`;
}

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
      barcode: patronOf(i),
      pin: '1234',
      name: `Bench Patron ${i}`,
    })),
    items: Array.from({ length: items }, (_, i) => ({
      barcode: itemBarcode(i),
      title: `Bench Title ${i}`,
      owningBranch: 'MAIN',
    })),
  } as IlsFixtureInput;
}

/** A self-check speaking SIP2 straight to the ILS: one connection, one request at a time. */
export class DirectKiosk {
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

  private exchange(message: AnySip2MessageInput) {
    return new Promise<ReturnType<Sip2Codec['decode']>>((resolve) => {
      this.waiting = (frame) => resolve(this.codec.decode(frame));
      this.socket.write(this.codec.encode(message));
    });
  }

  async checkout(patron: string, item: string, pin = '1234'): Promise<boolean> {
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
      patronPassword: pin,
    } as AnySip2MessageInput);
    return answer.ok && answer.message.type === 'checkoutResponse' && answer.message.ok === true;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A kiosk using Carrel's HTTP API: one keep-alive connection of its own, opened
 * before any timing, as a DirectKiosk has its SIP2 connection.
 */
export class CarrelKiosk {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  private constructor(private readonly api: string) {}

  static async open(api: string): Promise<CarrelKiosk> {
    const kiosk = new CarrelKiosk(api);
    const status = await send(kiosk.agent, 'GET', `${api}/healthz`);
    if (status !== 200) throw new Error(`GET /healthz answered ${status}`);
    return kiosk;
  }

  /** POST /api/v1/checkouts; true when it answered 200. */
  checkout(patron: string, item: string): Promise<boolean> {
    return send(
      this.agent,
      'POST',
      `${this.api}/api/v1/checkouts`,
      JSON.stringify({ patron, pin: '1234', item }),
    )
      .then((status) => status === 200)
      .catch(() => false);
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface CirculationRig {
  /** The gateway's base URL (`http://127.0.0.1:port`). */
  readonly api: string;
  /** The gateway's process id. */
  readonly gatewayPid: number;
  /** The bare HTTP gateway's process id. */
  readonly bareGatewayPid: number;
  /** The ILS simulator's SIP2 port. */
  readonly ilsPort: number;
  /** Opens `count` kiosks with a connection each to Carrel's HTTP API. */
  carrelKiosks(count: number): Promise<CarrelKiosk[]>;
  /** Opens `count` logged-in SIP2 kiosks straight to the ILS. */
  directKiosks(count: number): Promise<DirectKiosk[]>;
  /** Opens `count` logged-in SIP2 kiosks to the ILS through the bare relay (bare-relay.ts). */
  relayKiosks(count: number): Promise<DirectKiosk[]>;
  /** Opens `count` HTTP kiosks to the bare HTTP-to-SIP2 gateway (bare-http-gateway.ts). */
  bareGatewayKiosks(count: number): Promise<CarrelKiosk[]>;
  /** The next unused item: every checkout is a real loan. */
  nextItem(): string;
  /**
   * The next unused item and the patron it goes to: loans are dealt round the
   * fixture's patrons, so none ends a run with thousands of them (the ILS
   * simulator's checkout looks at the patron's loans: one patron per kiosk made
   * each checkout ~15 µs dearer per 2,000 loans as a run went on, and the later
   * paths paid more).
   */
  nextLoan(): { patron: string; item: string };
  stop(): Promise<void>;
}

/** How the gateway's Node process starts: the daemon's flags and environment. */
export interface GatewayProcess {
  nodeFlags: readonly string[];
  env: Readonly<Record<string, string>>;
}

/**
 * Starts the ILS simulator with `items` items, and in front of it the gateway, a
 * bare relay and a bare HTTP gateway, each in a process of its own.
 */
export async function startRig(items: number, gatewayProcess: GatewayProcess): Promise<CirculationRig> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-circulation-'));
  const fixtureFile = join(dir, 'fixture.json');
  writeFileSync(fixtureFile, JSON.stringify(benchFixture(items)));
  const ils = await startIls(fixtureFile);
  const configFile = join(dir, 'carrel.json');
  writeGatewayConfig(configFile, ils.port);
  const relay = await startBareRelay(ils.port, gatewayProcess).catch(async (error: unknown) => {
    await stopChild(ils.child);
    throw error;
  });
  const bareGateway = await startBareGateway(ils.port, gatewayProcess).catch(async (error: unknown) => {
    await stopChild(relay.child);
    await stopChild(ils.child);
    throw error;
  });
  const gateway = await startGateway(configFile, dir, gatewayProcess).catch(async (error: unknown) => {
    await stopChild(bareGateway.child);
    await stopChild(relay.child);
    await stopChild(ils.child);
    throw error;
  });
  let item = 0;
  const nextItem = () => {
    if (item >= items) throw new Error(`the bench fixture has only ${items} items`);
    return itemBarcode(item++);
  };
  return {
    api: gateway.api,
    gatewayPid: gateway.child.pid ?? 0,
    bareGatewayPid: bareGateway.child.pid ?? 0,
    ilsPort: ils.port,
    nextItem,
    nextLoan: () => {
      const patron = patronOf(item);
      return { patron, item: nextItem() };
    },
    carrelKiosks: (count) => Promise.all(Array.from({ length: count }, () => CarrelKiosk.open(gateway.api))),
    directKiosks: (count) => Promise.all(Array.from({ length: count }, () => DirectKiosk.open(ils.port))),
    relayKiosks: (count) => Promise.all(Array.from({ length: count }, () => DirectKiosk.open(relay.port))),
    bareGatewayKiosks: (count) =>
      Promise.all(
        Array.from({ length: count }, () => CarrelKiosk.open(`http://127.0.0.1:${bareGateway.port}`)),
      ),
    async stop() {
      await stopChild(gateway.child);
      await stopChild(bareGateway.child);
      await stopChild(relay.child);
      await stopChild(ils.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function send(agent: Agent, method: 'GET' | 'POST', url: string, body?: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startGateway(
  configFile: string,
  dir: string,
  how: GatewayProcess,
): Promise<{ child: ChildProcess; api: string }> {
  const { child, api } = await spawnCarrel({
    nodeArgs: [...how.nodeFlags, ...PROFILE],
    args: [cli, 'start', '--config', configFile, '--log-level', 'warn'],
    cwd: dir,
    env: { ...process.env, ...how.env },
  });
  await untilIlsOnline(api);
  return { child, api };
}

/** The gateway's config in the rig: HTTP on any port, no MQTT, a pool of 32 to the ILS at `ilsPort`. */
export function writeGatewayConfig(file: string, ilsPort: number): void {
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      http: { port: 0 },
      mqtt: { mode: 'off' },
      ils: {
        host: '127.0.0.1',
        port: ilsPort,
        user: 'carrel',
        password: 'carrelpw',
        location: 'MAIN',
        institution: 'BENCH',
        pool: { size: 32, maxWaiting: 1000 },
      },
    }),
  );
}

/** Resolves once the gateway at `api` has its ILS link online. */
export async function untilIlsOnline(api: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${api}/api/v1/devices/ils`).catch(() => undefined);
    if (response && ((await response.json()) as { status: string }).status === 'online') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The simulated ILS in a process of its own, as a real ILS would be; its control API on any free
 * port, so the rig starts beside a desk (or another rig) that holds the default one.
 */
function startIls(fixtureFile: string): Promise<{ child: ChildProcess; port: number }> {
  return spawnListening(
    [...PROFILE, cli, 'sim', 'ils', '--fixture', fixtureFile, '--port', '0', '--http-port', '0'],
    /SIP2\s+tcp:\/\/[^:]+:(\d+)/,
  );
}

/** The bare relay to the ILS, in a process of its own started as the gateway's is. */
function startBareRelay(
  ilsPort: number,
  how: GatewayProcess,
): Promise<{ child: ChildProcess; port: number }> {
  return spawnListening(
    [...how.nodeFlags, bareRelay, String(ilsPort)],
    /relay\s+tcp:\/\/[^:]+:(\d+)/,
    how.env,
  );
}

/** The bare HTTP-to-SIP2 gateway, in a process of its own started as the gateway's is. */
function startBareGateway(
  ilsPort: number,
  how: GatewayProcess,
): Promise<{ child: ChildProcess; port: number }> {
  return spawnListening(
    [...how.nodeFlags, ...PROFILE, bareHttpGateway, String(ilsPort)],
    /API\s+http:\/\/[^:]+:(\d+)/,
    how.env,
  );
}

/** Spawns a Node process and resolves with the port it prints (the first group of `listening`). */
async function spawnListening(
  args: string[],
  listening: RegExp,
  env: Readonly<Record<string, string>> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    // Only the last few KB are kept: enough to say why it exited.
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4096);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = listening.exec(out);
      if (match?.[1]) resolve(Number(match[1]));
    });
    child.stderr?.on('data', keep);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
  return { child, port };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
