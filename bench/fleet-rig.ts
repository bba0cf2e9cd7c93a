/**
 * A Carrel fleet on real Mosquitto, as a library deploys it (docs/fleet.md): a central broker
 * and the north branch's broker bridged to it, each running the example files shipped in
 * packaging/mosquitto/ (ports, paths and the bridge's password put in, nothing else changed);
 * per-desk users made with mosquitto_passwd; three `carrel start` processes — main/desk-1 and
 * main/desk-2 on the central broker, north/desk-1 on the branch broker — and, on demand,
 * `carrel fleet` on the central broker. Used by test/e2e/fleet.test.ts and bench/fleet.ts.
 *
 * Needs the built CLI (`npm run build`), /usr/sbin/mosquitto and /usr/bin/mosquitto_passwd.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeskStatistics } from '../src/gateway/statistics/index.js';
import { openDatabase } from '../src/gateway/storage/index.js';
import { freePort } from '../test/helpers/free-port.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository (bench/ in the sources, dist/bench/ when built). */
const ROOT = HERE.endsWith(join('dist', 'bench')) ? join(HERE, '..', '..') : join(HERE, '..');
export const MOSQUITTO_EXAMPLES = join(ROOT, 'packaging', 'mosquitto');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MOSQUITTO = process.env.MOSQUITTO_PATH ?? '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = process.env.MOSQUITTO_PASSWD_PATH ?? '/usr/bin/mosquitto_passwd';

/** Every user of the example ACLs, with a password made up for the run. */
export const FLEET_USERS = {
  'fleet-view': 'fleet-view-password-0123456789',
  'main-desk-1': 'main-desk-1-password-0123456789',
  'main-desk-2': 'main-desk-2-password-0123456789',
  'north-desk-1': 'north-desk-1-password-0123456789',
  'bridge-north': 'bridge-north-password-0123456789',
} as const;
export type FleetUser = keyof typeof FLEET_USERS;

/**
 * An example file from packaging/mosquitto with what a test must change: every `from` must be
 * found exactly once (so an edit to the example that the tests no longer match fails loudly).
 */
export function renderExample(name: string, replacements: Array<[from: string, to: string]>): string {
  let text = readFileSync(join(MOSQUITTO_EXAMPLES, name), 'utf8');
  for (const [from, to] of replacements) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`packaging/mosquitto/${name}: expected "${from}" once, found ${count}`);
    text = text.replace(from, to);
  }
  return text;
}

export interface RunningBroker {
  name: string;
  port: number;
  url: string;
  /** Resolves once the broker's log matches (what it has logged so far included). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A broker on one of the example configurations, in `dir`, logging to stderr (kept). */
async function startBroker(name: string, dir: string, conf: string, port: number): Promise<RunningBroker> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    `${conf}\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n`,
  );
  // Started as root, Mosquitto drops to the mosquitto user, who must read these files.
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) chmodSync(join(dir, entry), 0o644);
  const child = spawn(MOSQUITTO, ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const waiters = new Set<() => void>();
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-64_000);
    for (const waiter of [...waiters]) waiter();
  });
  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(log)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`mosquitto ${name}: no ${pattern} in ${timeoutMs} ms:\n${log.slice(-3000)}`));
      }, timeoutMs);
      const onExit = () => {
        finish();
        reject(new Error(`mosquitto ${name} exited:\n${log.slice(-3000)}`));
      };
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });
  try {
    await waitForLog(/mosquitto version \S+ running/);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    name,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    waitForLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
    },
  };
}

export interface FleetDesk {
  site: string;
  gateway: string;
  user: FleetUser;
  broker: RunningBroker;
  /** The desk's HTTP API base, `http://127.0.0.1:<port>`. */
  api: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/**
 * `carrel <args>` from the built CLI, resolving once what it says shows `ready` (the match
 * returned): carrel start's banner is on stderr (its log on stdout), carrel fleet's on stdout
 * (its log on stderr).
 */
function spawnCarrel(
  args: string[],
  cwd: string,
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; match: RegExpExecArray; exited: Promise<void> }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, MALLOC_ARENA_MAX: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const streams = [child.stdout, child.stderr];
  let said = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`carrel ${args[0]} not ready in ${timeoutMs} ms: ${said.slice(-2000)}`));
    }, timeoutMs);
    for (const stream of streams)
      stream?.on('data', (chunk: Buffer) => {
        said = (said + chunk.toString()).slice(-8000);
        const match = ready.exec(said);
        if (match) {
          clearTimeout(timer);
          // Read on and dropped from now on: a full pipe would stop the process.
          for (const each of streams) {
            each?.removeAllListeners('data');
            each?.resume();
          }
          resolve({ child, match, exited });
        }
      });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`carrel ${args[0]} exited (${code ?? signal}): ${said.slice(-2000)}`));
    });
  });
}

export interface FleetRig {
  dir: string;
  central: RunningBroker;
  branch: RunningBroker;
  desks: FleetDesk[];
  keepaliveSeconds: number;
  desk(site: string, gateway: string): FleetDesk;
  /** Kills a desk's process if it still runs (SIGKILL) and starts it again on the same config. */
  restart(site: string, gateway: string): Promise<FleetDesk>;
  /** Starts `carrel fleet` on the central broker as the fleet-view user; resolves with its page URL. */
  startFleetView(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

export interface FleetRigOptions {
  /** The desks' MQTT keep-alive (mqtt.keepaliveSeconds). */
  keepaliveSeconds: number;
  /** Checkouts each desk (`site/gateway`) made yesterday, written in its statistics before it starts. */
  history?: Readonly<Record<string, number>>;
}

/** Yesterday's checkouts in a desk's own statistics table, as the desk would have counted them. */
function seedHistory(path: string, checkouts: number): void {
  const db = openDatabase(path);
  try {
    const yesterday = new Date();
    yesterday.setDate(yesterday.getDate() - 1);
    yesterday.setHours(12, 0, 0, 0);
    new DeskStatistics(db).record(
      { kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' },
      yesterday.getTime(),
      checkouts,
    );
  } finally {
    db.close();
  }
}

/** A desk's configuration: a simulated receipt printer and gate; main/desk-2 also a printer no one answers for. */
function deskConfig(
  desk: { site: string; gateway: string; user: FleetUser },
  broker: RunningBroker,
  dir: string,
  keepaliveSeconds: number,
  deadPort: number,
): string {
  const devices: unknown[] = [
    { id: 'receipt-1', kind: 'receipt-printer', transport: { type: 'simulator', simulator: 'printer-sim' } },
    {
      id: 'exit-1',
      kind: 'gate',
      driver: 'feig-notification',
      listen: { host: '127.0.0.1', port: 0 },
      address: '127.0.0.1',
      transport: { type: 'simulator', simulator: 'gate-sim' },
      directionByAntenna: { in: [1], out: [2] },
    },
  ];
  if (desk.gateway === 'desk-2') {
    devices.push({
      id: 'receipt-2',
      kind: 'receipt-printer',
      transport: { type: 'tcp', host: '127.0.0.1', port: deadPort, connectTimeoutMs: 500 },
    });
  }
  return JSON.stringify({
    version: 2,
    site: desk.site,
    gateway: desk.gateway,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: {
      mode: 'external',
      url: broker.url,
      username: desk.user,
      password: FLEET_USERS[desk.user],
      keepaliveSeconds,
    },
    log: { level: 'warn', format: 'json' },
    storage: { path: join(dir, `${desk.site}-${desk.gateway}.db`) },
    systemd: { watchdog: false },
    simulators: [
      { id: 'printer-sim', kind: 'printer', port: 0, httpPort: 0 },
      { id: 'gate-sim', kind: 'gate', dials: 'exit-1' },
    ],
    devices,
  });
}

export async function startFleetRig(options: FleetRigOptions): Promise<FleetRig> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-fleet-'));
  const configFile = (desk: { site: string; gateway: string }) =>
    join(dir, `${desk.site}-${desk.gateway}.json`);
  const startDesk = async (desk: Omit<FleetDesk, 'api' | 'child' | 'exited'>): Promise<FleetDesk> => {
    const started = await spawnCarrel(
      ['start', '--config', configFile(desk)],
      dir,
      /API\s+(http:\/\/\S+)\/api\/v1/,
    );
    return { ...desk, api: started.match[1]!, child: started.child, exited: started.exited };
  };
  const brokers: RunningBroker[] = [];
  const desks: FleetDesk[] = [];
  const views: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const view of views) await view();
    for (const desk of desks) {
      desk.child.kill('SIGCONT');
      desk.child.kill('SIGKILL');
      await desk.exited;
    }
    for (const broker of brokers.reverse()) await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const passwords = join(dir, 'carrel.passwd');
    Object.entries(FLEET_USERS).forEach(([user, password], i) => {
      execFileSync(MOSQUITTO_PASSWD, [...(i === 0 ? ['-c'] : []), '-b', passwords, user, password], {
        stdio: 'ignore',
      });
    });
    const [centralPort, branchPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    const paths: Array<[string, string]> = [
      ['\npassword_file /etc/mosquitto/carrel.passwd', `\npassword_file ${passwords}`],
    ];
    writeFileSync(join(dir, 'carrel-central.acl'), readFileSync(join(MOSQUITTO_EXAMPLES, 'central.acl')));
    writeFileSync(join(dir, 'carrel-branch.acl'), readFileSync(join(MOSQUITTO_EXAMPLES, 'branch.acl')));
    // The tests' brokers keep nothing on disk: a restart forgets every retained message.
    const ephemeral: Array<[string, string]> = [
      ['\npersistence true\n', '\npersistence false\n'],
      ['persistence_location /var/lib/mosquitto/\n', ''],
    ];
    const central = await startBroker(
      'central',
      dir,
      renderExample('central.conf', [
        ['\nlistener 1883\n', `\nlistener ${centralPort} 127.0.0.1\n`],
        ...paths,
        ['\nacl_file /etc/mosquitto/carrel-central.acl', `\nacl_file ${join(dir, 'carrel-central.acl')}`],
        ...ephemeral,
      ]),
      centralPort,
    );
    brokers.push(central);
    const branch = await startBroker(
      'branch',
      dir,
      renderExample('branch.conf', [
        ['\nlistener 1883\n', `\nlistener ${branchPort} 127.0.0.1\n`],
        ...paths,
        ['\nacl_file /etc/mosquitto/carrel-branch.acl', `\nacl_file ${join(dir, 'carrel-branch.acl')}`],
        ...ephemeral,
        ['\naddress central.library.example:1883\n', `\naddress 127.0.0.1:${centralPort}\n`],
        ['\nremote_password CHANGE-ME-bridge-north\n', `\nremote_password ${FLEET_USERS['bridge-north']}\n`],
      ]),
      branchPort,
    );
    brokers.push(branch);
    await central.waitForLog(/New (?:client|bridge) connected from \S+ as bridge-north/);

    const plan = [
      { site: 'main', gateway: 'desk-1', user: 'main-desk-1' as const, broker: central },
      { site: 'main', gateway: 'desk-2', user: 'main-desk-2' as const, broker: central },
      { site: 'north', gateway: 'desk-1', user: 'north-desk-1' as const, broker: branch },
    ];
    // One after the other: three gateways starting at once on a 2-core machine only slow each other.
    for (const desk of plan) {
      writeFileSync(configFile(desk), deskConfig(desk, desk.broker, dir, options.keepaliveSeconds, deadPort));
      const history = options.history?.[`${desk.site}/${desk.gateway}`];
      if (history) seedHistory(join(dir, `${desk.site}-${desk.gateway}.db`), history);
      desks.push(await startDesk(desk));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const [central, branch] = brokers as [RunningBroker, RunningBroker];
  return {
    dir,
    central,
    branch,
    desks,
    keepaliveSeconds: options.keepaliveSeconds,
    desk(site, gateway) {
      const found = desks.find((d) => d.site === site && d.gateway === gateway);
      if (!found) throw new Error(`no desk ${site}/${gateway}`);
      return found;
    },
    async restart(site, gateway) {
      const index = desks.findIndex((d) => d.site === site && d.gateway === gateway);
      const old = desks[index];
      if (!old) throw new Error(`no desk ${site}/${gateway}`);
      old.child.kill('SIGCONT');
      old.child.kill('SIGKILL');
      await old.exited;
      const { api: _api, child: _child, exited: _exited, ...desk } = old;
      const started = await startDesk(desk);
      desks[index] = started;
      return started;
    },
    async startFleetView() {
      const started = await spawnCarrel(
        ['fleet', '--broker', central.url, '--username', 'fleet-view', '--http-port', '0'],
        dir,
        /page\s+(http:\/\/\S+)/,
        { CARREL_FLEET_PASSWORD: FLEET_USERS['fleet-view'] },
      );
      const stopView = async () => {
        started.child.kill('SIGTERM');
        const timer = setTimeout(() => started.child.kill('SIGKILL'), 3000);
        await started.exited;
        clearTimeout(timer);
      };
      views.push(stopView);
      return { url: started.match[1]!, child: started.child, stop: stopView };
    },
    stop,
  };
}
