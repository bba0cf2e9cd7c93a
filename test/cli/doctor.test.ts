/**
 * `carrel doctor` from the built command (dist/, `npm run build` first) against
 * the simulated desk — its ILS simulator over real TCP, its printer, pads and
 * gate — and against set-ups broken on purpose: a wrong SIP2 password, a
 * serial device node that is not there, the HTTP port taken by another
 * process (and held by a running Carrel, which is fine), a read-only state
 * directory, an unreachable MQTT broker.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { type CarrelRun, type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import { freePort } from '../helpers/free-port.js';
import { mosquittoSkipReason, startMosquitto, writeMosquittoPasswords } from '../helpers/mosquitto.js';
import { until } from '../helpers/until.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

type Check = DoctorCheck;
interface Report {
  ok: boolean;
  config: string | null;
  summary: Record<Check['status'], number>;
  checks: Check[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type DeskFile = Record<string, unknown> & {
  devices: Array<Record<string, unknown>>;
  http: { host: string; port: number };
};

/** The simulated desk as a file: its own free ports, its state in a folder of its own. */
async function deskFile(name: string, change: (desk: DeskFile) => void = () => {}): Promise<string> {
  const desk = structuredClone(defaultDeskConfig()) as unknown as DeskFile;
  desk.http = { host: '127.0.0.1', port: await freePort() };
  desk.mqtt = { mode: 'embedded', host: '127.0.0.1', port: await freePort() };
  desk.storage = { path: join(dir, name, 'state', 'carrel.db') };
  // The simulated gate is online from its first frame, a keep-alive every keepAliveSeconds (5 by
  // default): doctor waited --timeout for it to settle on every run (4 s a test, 54 s the file),
  // and with one a second, a second on every run. Sent every 0.2 s (the simulator takes any
  // fraction), it is online 0.2 s after it dials and doctor goes on.
  const simulators = desk.simulators as Array<Record<string, unknown>>;
  simulators.find((simulator) => simulator.kind === 'gate')!.keepAliveSeconds = 0.2;
  change(desk);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(desk));
  return file;
}

/**
 * `carrel start` on the desk file `file`, on ports the system gives it (a port found free beforehand
 * may be taken by another test's process before Carrel binds it): its HTTP port, its embedded
 * broker's and, with `ilsPort`, its ILS simulator's are set to 0 for the start, and once its banner
 * says where it listens the file is written again with the ports it got, as a desk whose file names
 * its ports, for doctor to find them there. Resolves with the process and the file as written.
 */
async function startDesk(file: string, ilsPort = false): Promise<{ carrel: ChildProcess; desk: DeskFile }> {
  const desk = JSON.parse(readFileSync(file, 'utf8')) as DeskFile;
  const mqtt = desk.mqtt as { mode: string; port?: number };
  const ils = (desk.simulators as Array<Record<string, unknown>> | undefined)?.find((s) => s.kind === 'ils');
  desk.http.port = 0;
  if (mqtt.mode === 'embedded') mqtt.port = 0;
  if (ilsPort) ils!.port = 0;
  writeFileSync(file, JSON.stringify(desk));
  const carrel = spawn(process.execPath, [CLI, 'start', '--config', file, '--log-level', 'silent'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let banner = '';
  carrel.stderr!.on('data', (chunk: Buffer) => {
    banner += chunk.toString();
  });
  await until(async () => /Stop with Ctrl-C/.test(banner) || undefined, 30_000, 'the desk to start');
  const port = (pattern: RegExp) => {
    const found = pattern.exec(banner)?.[1];
    if (!found) throw new Error(`the desk did not say ${pattern}: ${banner}`);
    return Number(found);
  };
  desk.http.port = port(/API\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/);
  if (mqtt.mode === 'embedded') mqtt.port = port(/MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+)\n/);
  if (ilsPort) ils!.port = port(/simulator\s+ils-sim \(ils\): .* on tcp:\/\/127\.0\.0\.1:(\d+),/);
  writeFileSync(file, JSON.stringify(desk));
  return { carrel, desk };
}

function run(args: string[], env: Record<string, string> = {}): Promise<CarrelRun> {
  return runCarrel(['doctor', ...args], { cwd: dir, env: { CARREL_CONFIG: '', ...env } });
}

async function doctorJson(
  file: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: Report; text: string }> {
  const result = await run(['--config', file, '--json', '--timeout', '3', ...extra], env);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as Report, text: result.stdout };
}

function check(report: Report, name: string): Check {
  const found = report.checks.find((entry) => entry.name === name);
  if (!found) throw new Error(`no check "${name}" in ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
}

const SECRETS = ['kiosk1pw', 'wrong-password-1'];

/**
 * The control API of the ILS simulator in the process `pid`: among its listening ports, the one
 * answering /api/state as it does. All are asked at once: a port that speaks no HTTP (SIP2, the
 * gate's, ESC/POS) never answers, and asked one after another each held the search up 1 s.
 */
async function ilsControlOf(pid: number): Promise<string> {
  const listing = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout;
  const ports = listing
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => /127\.0\.0\.1:(\d+)/.exec(line)?.[1])
    .filter((port): port is string => port !== undefined);
  const answers = await Promise.all(
    ports.map(async (port) => {
      const state = await fetch(`http://127.0.0.1:${port}/api/state`, {
        signal: AbortSignal.timeout(1000),
      }).then(
        async (response) => (await response.json()) as { sip2?: unknown; library?: { patrons?: unknown } },
        () => undefined,
      );
      return typeof state?.sip2 === 'string' && state.library?.patrons !== undefined ? port : undefined;
    }),
  );
  const port = answers.find((answer) => answer !== undefined);
  if (port === undefined) throw new Error(`no ILS simulator control API among ${ports.join(', ')}`);
  return `http://127.0.0.1:${port}`;
}

describe('carrel doctor', () => {
  it('passes the simulated desk: every check in order, one line each, exit 0', async () => {
    const file = await deskFile('healthy');
    const result = await run(['--config', file, '--timeout', '12']);
    expect(result.code, result.stdout).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const checkLines = lines.filter((line) => /^(PASS|WARN|FAIL|SKIP) {2}/.test(line));
    for (const line of lines) {
      expect(line).toMatch(
        /^((PASS|WARN|FAIL|SKIP) {2}\S.*: .+| {6}→ .+|\d+ passed, \d+ warnings?, 0 failed, \d+ skipped|)$/,
      );
    }
    expect(checkLines.some((line) => line.startsWith('FAIL'))).toBe(false);
    const names = checkLines.map((line) => line.slice(6, line.indexOf(': ')));
    expect(names).toEqual([
      'config',
      expect.stringMatching(/^HTTP port \d+$/),
      expect.stringMatching(/^MQTT port \d+$/),
      'device nodes',
      'udev rules',
      'native module serialport',
      'native module better-sqlite3',
      'native module node-hid',
      'native module PC/SC (pcsclite)',
      'ILS ils reachable',
      'ILS ils login',
      'ILS ils status (98)',
      'ILS ils clock skew',
      'scanner scanner-1 link',
      'device receipt-1',
      'device pad-1',
      'device selfcheck-1',
      'device exit-1',
      'device public-bw',
      'device coins-1',
      'device notes-1',
      'device cards-1',
      'device card-pad',
      'MQTT broker',
      'state directory',
      'database integrity',
      'database backup',
      'free disk space',
      'systemd unit carrel.service',
    ]);
    expect(result.stdout).toMatch(/^PASS {2}ILS ils login: 93 login as "kiosk1" accepted$/m);
    expect(result.stdout).toMatch(/^PASS {2}ILS ils status \(98\): online Y, checkout Y, checkin Y/m);
    expect(result.stdout).toMatch(/^PASS {2}ILS ils clock skew: /m);
    for (const id of ['receipt-1', 'pad-1', 'selfcheck-1', 'exit-1'])
      expect(result.stdout).toMatch(new RegExp(`^PASS {2}device ${id}: \\S+ online$`, 'm'));
    for (const secret of SECRETS) expect(result.stdout).not.toContain(secret);
  });

  it('--json: one document with ok, summary and every check as {name, status, detail, hint?}', async () => {
    const { code, report } = await doctorJson(await deskFile('json'));
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.config).toMatch(/json\.json$/);
    const counted = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const entry of report.checks) {
      expect(Object.keys(entry).sort()).toEqual(
        entry.hint === undefined ? ['detail', 'name', 'status'] : ['detail', 'hint', 'name', 'status'],
      );
      expect(['pass', 'warn', 'fail', 'skip']).toContain(entry.status);
      counted[entry.status] += 1;
    }
    expect(report.summary).toEqual(counted);
    // What doctor cannot check here it says so, with a reason.
    expect(check(report, 'systemd unit carrel.service').detail).not.toBe('');
    // No database yet where storage.path puts it: a new desk, or a typo in the path — said so.
    expect(check(report, 'database integrity')).toMatchObject({
      status: 'warn',
      hint: expect.stringMatching(/storage\.path may be wrong/),
    });
  });

  it('fails the login on a wrong SIP2 password, says what to check, and never shows the password', async () => {
    const file = await deskFile('wrong-password', (desk) => {
      const ils = desk.devices.find((device) => device.id === 'ils')!;
      ils.password = 'wrong-password-1';
    });
    const { code, report, text } = await doctorJson(file);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'ILS ils reachable').status).toBe('pass');
    const login = check(report, 'ILS ils login');
    expect(login.status).toBe('fail');
    expect(login.hint).toMatch(/password/);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('says of a gate that has not dialled in to check its notification settings, not that it reports a problem', async () => {
    // A FEIG gate on the network that dials the desk: nothing dials it here.
    const file = await deskFile('gate-silent', (desk) => {
      desk.simulators = (desk.simulators as Array<{ kind: string }>).filter((sim) => sim.kind !== 'gate');
      const gate = desk.devices.find((device) => device.kind === 'gate')!;
      delete gate.transport;
      delete gate.visitors;
    });
    const { report } = await doctorJson(file, ['--timeout', '1']);
    const gate = check(report, 'device exit-1');
    expect(gate.status).toBe('warn');
    expect(gate.detail).toBe('gate degraded: waiting for the gate to connect');
    expect(gate.hint).toMatch(/^the gate has not dialled in yet: check that its notification destination/);
    expect(gate.hint).toContain('devices[exit-1].listen.port');
    expect(gate.hint).toContain('devices[exit-1].address');
  });

  it('fails a serial device whose node is missing, naming the node and the device', async () => {
    const missing = '/dev/ttyCARRELMISSING7';
    const file = await deskFile('missing-node', (desk) => {
      desk.devices.push({
        id: 'receipt-2',
        kind: 'receipt-printer',
        transport: { type: 'serial', path: missing, baudRate: 19200 },
      });
    });
    const { code, report } = await doctorJson(file);
    expect(code).toBe(1);
    const node = check(report, `device node ${missing} (receipt-2)`);
    expect(node.status).toBe('fail');
    expect(node.detail).toContain('missing');
    expect(node.hint).toContain('devices[receipt-2].transport.path');
    expect(check(report, 'udev rules').status).not.toBe('fail');
    expect(check(report, 'native module serialport').status).toBe('pass');
    expect(check(report, 'device receipt-2').status).toBe('fail');
    // The rest of the desk is still checked and healthy.
    expect(check(report, 'device receipt-1').status).toBe('pass');
  });

  it('checks scanners by driver: a wedge scanner whose node is missing, a card reader without pcscd', async () => {
    const file = await deskFile('scanners', (desk) => {
      desk.devices.push(
        {
          id: 'wedge-9',
          kind: 'scanner',
          driver: 'evdev',
          device: '/dev/input/by-id/carrel-missing-event-kbd',
        },
        { id: 'reader-9', kind: 'scanner', driver: 'pcsc', card: { reader: 'ACR122U' } },
      );
    });
    // A pcscd socket that is not there, whether or not this machine runs pcscd.
    const { code, report } = await doctorJson(file, [], {
      PCSCLITE_CSOCK_NAME: join(dir, 'no-pcscd', 'pcscd.comm'),
    });
    expect(code).toBe(1);
    expect(check(report, 'scanner wedge-9 input device')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('missing'),
      hint: expect.stringContaining('99-carrel.rules'),
    });
    expect(check(report, 'scanner reader-9 pcscd')).toMatchObject({
      status: 'fail',
      hint: expect.stringContaining('pcscd libccid'),
    });
    expect(check(report, 'scanner reader-9 reader').status).toBe('skip');
    // The desk's own serial scanner still answers on its simulator.
    expect(check(report, 'scanner scanner-1 link').status).toBe('pass');
  });

  it('fails an HTTP port taken by a process that is not Carrel', async () => {
    const foreign: Server = createHttpServer((_request, response) => response.end('not carrel'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const port = (foreign.address() as { port: number }).port;
    try {
      const file = await deskFile('port-taken', (desk) => {
        desk.http = { host: '127.0.0.1', port };
      });
      const { code, report } = await doctorJson(file);
      expect(code).toBe(1);
      const http = check(report, `HTTP port ${port}`);
      expect(http).toMatchObject({ status: 'fail' });
      expect(http.detail).toContain('not Carrel');
      expect(http.hint).toContain('http.port');
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });

  it('fails a simulator whose port another program holds, naming it, and ends (the simulators that started let go)', async () => {
    const held = createNetServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const port = (held.address() as { port: number }).port;
    try {
      const file = await deskFile('simulator-port-held', (desk) => {
        const simulators = desk.simulators as Array<Record<string, unknown>>;
        simulators.find((simulator) => simulator.id === 'printer-sim')!.port = port;
      });
      // Ends by itself: the ILS simulator before it and the pads after it (started) do not keep it running.
      const { code, report } = await doctorJson(file);
      expect(code).toBe(1);
      expect(check(report, 'simulators')).toMatchObject({ status: 'fail' });
      expect(check(report, 'simulators').detail).toContain('printer-sim');
    } finally {
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  }, 30_000);

  it('passes ports held by a running Carrel of the same configuration, and reads its devices from it', async () => {
    // Its ILS simulator on a fixed port, as `carrel sim ils` would be: doctor cannot start its own.
    const file = await deskFile('running');
    let carrel: ChildProcess | undefined;
    try {
      const started = await startDesk(file, true);
      carrel = started.carrel;
      const { desk } = started;
      await until(
        async () =>
          (await fetch(`http://127.0.0.1:${desk.http.port}/readyz`).then(
            (response) => response.status,
            () => 0,
          )) === 200 || undefined,
        20_000,
        'the Carrel under test did not become ready',
        100,
      );
      const { code, report } = await doctorJson(file);
      expect(code, JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).toBe(0);
      expect(check(report, `HTTP port ${desk.http.port}`).detail).toContain('held by the running Carrel');
      expect(check(report, 'MQTT broker')).toMatchObject({ status: 'pass' });
      for (const id of ['ils', 'receipt-1', 'pad-1', 'selfcheck-1', 'exit-1'])
        expect(check(report, `device ${id}`).detail).toContain('from the running Carrel');
      expect(check(report, 'database integrity').status).toBe('pass');
    } finally {
      carrel?.kill('SIGTERM');
      if (carrel && carrel.exitCode === null) await new Promise((resolve) => carrel!.once('exit', resolve));
    }
  });

  it("reads a running simulated desk's ILS from it, not from a simulator of doctor's own: its ILS hanging is a failure", async () => {
    // Its simulators on ports of their own choosing, as in the simulated desk: doctor can start copies.
    // The desk gives up on an unanswered ILS request after 1 s, not the default 10 s: it sees the
    // hang that much sooner, and its stop, which waits out the login it sent into the hang, too.
    const file = await deskFile('running-simulated', (desk) => {
      desk.devices.find((device) => device.id === 'ils')!.requestTimeoutMs = 1000;
    });
    const { carrel, desk } = await startDesk(file);
    const readyz = () =>
      fetch(`http://127.0.0.1:${desk.http.port}/readyz`).then(
        async (response) =>
          (await response.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean }> },
        () => undefined,
      );
    try {
      await until(async () => (await readyz())?.ready || undefined, 20_000, 'the desk to be ready');
      // The desk's own ILS simulator stops answering: its control API found among the ports the
      // desk's process listens on (as IT would with ss), the one answering as the ILS simulator.
      const control = await ilsControlOf(carrel.pid!);
      const put = await fetch(`${control}/api/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hang: true }),
      });
      expect(put.ok).toBe(true);
      // Its link is dropped: the desk dials again, and its 93 login goes unanswered.
      expect((await fetch(`${control}/api/connections`, { method: 'DELETE' })).ok).toBe(true);
      await until(
        async () => (await readyz())?.checks.find((c) => c.name === 'device:ils' && !c.ok),
        30_000,
        'the running desk to see its ILS hang',
      );
      const { code, report } = await doctorJson(file);
      expect(code).toBe(1);
      expect(check(report, 'device ils')).toMatchObject({ status: 'fail' });
      expect(check(report, 'device ils').detail).toContain('from the running Carrel');
      // Doctor dialled no ILS of its own (a simulator it started would answer and pass).
      expect(report.checks.filter((c) => c.name.startsWith('ILS ils'))).toEqual([]);
    } finally {
      carrel.kill('SIGTERM');
      if (carrel.exitCode === null) await new Promise((resolve) => carrel.once('exit', resolve));
    }
  }, 90_000);

  it('fails a state directory where a file stands in its way', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'not a directory');
    const file = await deskFile('state-file', (desk) => {
      desk.storage = { path: join(blocker, 'state', 'carrel.db') };
    });
    const { code, report } = await doctorJson(file);
    expect(code).toBe(1);
    expect(check(report, 'state directory')).toMatchObject({ status: 'fail' });
    expect(check(report, 'state directory').detail).toContain('is a file where a directory should be');
  });

  // Root ignores permission bits, so the read-only directory is a read-only tmpfs mount.
  const readOnly = join(tmpdir(), `carrel-doctor-ro-${process.pid}`);
  const mounted = (() => {
    if (process.platform !== 'linux') return false;
    mkdirSync(readOnly, { recursive: true });
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]).status === 0;
  })();
  afterAll(() => {
    if (mounted) spawnSync('umount', [readOnly]);
    rmSync(readOnly, { recursive: true, force: true });
  });

  it.skipIf(!mounted)('fails a read-only state directory (a read-only tmpfs mount)', async () => {
    const file = await deskFile('read-only', (desk) => {
      desk.storage = { path: join(readOnly, 'carrel.db') };
    });
    const { code, report } = await doctorJson(file);
    expect(code).toBe(1);
    const state = check(report, 'state directory');
    expect(state.status).toBe('fail');
    expect(state.detail).toContain('read-only file system');
    expect(state.hint).toContain('storage.path');
  });

  const mosquittoSkip = mosquittoSkipReason();
  it.skipIf(mosquittoSkip !== undefined)(
    'checks an external MQTT broker: Mosquitto answers, a closed port fails',
    async () => {
      const broker = await startMosquitto();
      try {
        const up = await deskFile('mqtt-up', (desk) => {
          desk.mqtt = { mode: 'external', url: broker.url };
        });
        expect(check((await doctorJson(up)).report, 'MQTT broker')).toMatchObject({ status: 'pass' });
      } finally {
        await broker.stop();
      }
      const down = await deskFile('mqtt-down', (desk) => {
        desk.mqtt = { mode: 'external', url: `mqtt://127.0.0.1:${broker.port}` };
      });
      const { code, report } = await doctorJson(down);
      expect(code).toBe(1);
      expect(check(report, 'MQTT broker')).toMatchObject({ status: 'fail' });
    },
  );

  it.skipIf(mosquittoSkip !== undefined)(
    "asks a running desk about its external broker rather than log in as the desk's user (which takes its session over)",
    async () => {
      // The broker as docs/fleet.md sets it up: a user per desk, the user name as the client id.
      const broker = await startMosquitto({
        configure: (brokerDir) => {
          writeMosquittoPasswords(join(brokerDir, 'passwd'), {
            'desk-user': 'desk-secret',
            dashboard: 'board',
          });
          return [
            `password_file ${join(brokerDir, 'passwd')}`,
            'allow_anonymous false',
            'use_username_as_clientid true',
          ];
        },
      });
      let carrel: ChildProcess | undefined;
      let watcher: MqttClient | undefined;
      try {
        // A desk of its own: no devices, only the broker.
        const desk = {
          version: defaultDeskConfig().version,
          site: 'library',
          gateway: 'desk-9',
          http: { host: '127.0.0.1', port: 0 },
          storage: { path: join(dir, 'mqtt-running', 'carrel.db') },
          mqtt: { mode: 'external', url: broker.url, username: 'desk-user', password: 'desk-secret' },
        };
        const file = join(dir, 'mqtt-running.json');
        writeFileSync(file, JSON.stringify(desk));
        const stateTopic = `carrel/${desk.site}/desk-9/state`;
        const started = await startDesk(file);
        carrel = started.carrel;
        desk.http.port = started.desk.http.port;
        const readyz = () =>
          fetch(`http://127.0.0.1:${desk.http.port}/readyz`).then(
            async (response) =>
              (await response.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean }> },
            () => undefined,
          );
        await until(async () => (await readyz())?.ready || undefined, 20_000, 'the desk to be ready');
        // An observer of the desk's state, as a dashboard or the fleet view.
        watcher = await connectAsync(broker.url, {
          reconnectPeriod: 0,
          username: 'dashboard',
          password: 'board',
        });
        const states: string[] = [];
        let barrier = false;
        const barrierTopic = 'carrel-test/doctor-barrier';
        watcher.on('message', (topic, payload) => {
          if (topic === barrierTopic) barrier = true;
          else states.push(String(payload));
        });
        await watcher.subscribeAsync([stateTopic, barrierTopic], { qos: 1 });
        await until(() => states[0], 5000, 'the retained state');

        const { code, report } = await doctorJson(file);
        expect(code, JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).toBe(0);
        // A login as the desk's user would have taken its session over, and Mosquitto publishes the
        // taken-over session's last will at once (the desk sets no will delay), before doctor ends.
        // The dashboard's own message, published after doctor ended, reaches it after any such will:
        // once it is back, none came (a fixed 1.5 s wait did this before).
        await watcher.publishAsync(barrierTopic, 'after doctor', { qos: 1 });
        await until(() => barrier || undefined, 5000, "the dashboard's own message back");
        expect(states.map((state) => JSON.parse(state).status)).toEqual(['online']);
        expect(check(report, 'MQTT broker')).toMatchObject({ status: 'pass' });
        expect(check(report, 'MQTT broker').detail).toContain('the running Carrel');

        // The broker goes away: the running desk says so on /readyz, and doctor passes it on.
        await broker.stop();
        await until(
          async () => (await readyz())?.checks.find((c) => c.name === 'feature:mqtt' && !c.ok),
          10_000,
          '/readyz to name the MQTT link',
        );
        const down = await doctorJson(file);
        expect(down.code).toBe(1);
        expect(check(down.report, 'MQTT broker')).toMatchObject({ status: 'fail' });
        expect(check(down.report, 'MQTT broker').detail).toContain('no link to the MQTT broker');
        expect(down.text).not.toContain('desk-secret');
      } finally {
        await watcher?.endAsync(true);
        carrel?.kill('SIGTERM');
        if (carrel && carrel.exitCode === null) await new Promise((resolve) => carrel!.once('exit', resolve));
        await broker.stop();
      }
    },
    60_000,
  );

  it('reads an empty CARREL_CONFIG as none, as carrel start does: the simulated desk, not a file named ""', async () => {
    // run() gives every doctor CARREL_CONFIG='' (a unit file's `Environment=CARREL_CONFIG=`).
    const result = await run(['--json', '--timeout', '1']);
    const report = JSON.parse(result.stdout) as Report;
    expect(check(report, 'config')).toMatchObject({
      status: 'pass',
      detail: 'no --config (nor CARREL_CONFIG): the built-in simulated desk',
    });
    expect(report.config).toBeNull();
  }, 60_000);

  it("does not fail the simulated desk when another process holds MQTT's 1883 (carrel start then moves its broker)", async (context) => {
    // A Mosquitto of this machine, as on many a desk PC or developer's laptop: `carrel start` with no
    // config says so and takes a free port; doctor on the same desk must not fail it.
    const holder = createNetServer();
    const held = await new Promise<boolean>((resolve) => {
      holder.once('error', () => resolve(false));
      holder.listen(1883, '127.0.0.1', () => resolve(true));
    });
    if (!held) context.skip('127.0.0.1:1883 is held by another process already');
    try {
      // Only the ports' checks are read here, and neither waits on --timeout (no Carrel on 8480 to
      // ask); the simulated gate, a keep-alive every 5 s, is waited for until it: 1 s, as above.
      const result = await run(['--json', '--timeout', '1']);
      const report = JSON.parse(result.stdout) as Report;
      const running = check(report, 'HTTP port 8480').detail.includes('running Carrel');
      if (running) context.skip('a simulated desk runs on this machine');
      const mqtt = check(report, 'MQTT port 1883');
      expect(mqtt.status).toBe('warn');
      expect(mqtt.detail).toContain('will listen on a free port instead');
      expect(mqtt.hint).toContain('carrel start --mqtt-port');
      expect(mqtt.hint).not.toContain('mqtt.port');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);

  it('counts in words a person reads: "1 warning", not "1 warnings", and no brackets inside brackets', async () => {
    // A desk of no devices whose database has no backup yet: that is its one warning here.
    const database = join(dir, 'one-warning', 'carrel.db');
    mkdirSync(dirname(database), { recursive: true });
    writeFileSync(database, '');
    const file = join(dir, 'one-warning.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: defaultDeskConfig().version,
        site: 'library',
        gateway: 'desk-1',
        http: { host: '127.0.0.1', port: await freePort() },
        mqtt: { mode: 'off' },
        storage: { path: database },
        devices: [],
      }),
    );
    const result = await run(['--config', file, '--timeout', '3']);
    const lines = result.stdout.trimEnd().split('\n');
    const count = (mark: string) => lines.filter((line) => line.startsWith(`${mark}  `)).length;
    const [passed, warned, failed, skipped] = ['PASS', 'WARN', 'FAIL', 'SKIP'].map(count) as [
      number,
      number,
      number,
      number,
    ];
    expect(warned).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(
      `${passed} passed, ${warned} ${warned === 1 ? 'warning' : 'warnings'}, ${failed} failed, ${skipped} skipped`,
    );
    for (const line of lines) expect(line, 'a bracket inside a bracket').not.toMatch(/\([^)]*\(/);
  }, 60_000);

  it('answers bad usage with exit 2', async () => {
    expect((await run(['--timeout', 'soon'])).code).toBe(2);
    expect((await run(['--frobnicate'])).code).toBe(2);
  });

  it('fails an invalid configuration and checks no further than it can', async () => {
    const file = join(dir, 'invalid.json');
    writeFileSync(file, JSON.stringify({ version: 2, http: { port: 'eighty' } }));
    const { code, report } = await doctorJson(file);
    expect(code).toBe(1);
    expect(report.checks[0]).toMatchObject({ name: 'config', status: 'fail' });
    expect(report.checks[0]!.detail).toContain('http.port');
    expect(report.checks.map((c) => c.name)).toEqual(['config', 'systemd unit carrel.service']);
  });
});
