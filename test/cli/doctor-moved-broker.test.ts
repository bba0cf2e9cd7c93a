/**
 * `carrel doctor` (the built command, dist/) beside a running desk whose embedded MQTT broker is
 * not where the configuration puts it: the simulated desk (`npm start`) moves its broker off a
 * 1883 taken by a Mosquitto of this machine, and a desk with `mqtt.port: 0` takes a free port at
 * start. Doctor finds the desk where it was started (`--http-port`, as given to `carrel start`) and
 * asks it where its broker listens, instead of passing whatever answers on 1883 as the desk's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARREL_CLI,
  type DoctorCheck,
  portAlias,
  runCarrel,
  type SimulatedDeskProcess,
  startSimulatedDesk,
} from '../helpers/carrel-cli.js';
import { bareDesk, writeConfigFile } from '../helpers/config-file.js';
import { freePort } from '../helpers/free-port.js';
import { until } from '../helpers/until.js';

type Check = DoctorCheck;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-moved-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function doctor(
  args: string[],
  timeoutSeconds = 5,
  alias?: ReturnType<typeof portAlias>,
): Promise<{ code: number | null; checks: Check[]; stdout: string }> {
  const run = await runCarrel(['doctor', ...args, '--json', '--timeout', String(timeoutSeconds)], {
    cwd: dir,
    env: { CARREL_CONFIG: '', ...alias?.env },
    ...(alias && { nodeArgs: alias.nodeArgs }),
  });
  expect(run.stderr).toBe('');
  return {
    code: run.code,
    checks: (JSON.parse(run.stdout) as { checks: Check[] }).checks,
    stdout: run.stdout,
  };
}

function check(checks: Check[], name: string): Check {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${checks.map((c) => c.name).join(', ')}`);
  return found;
}

describe('carrel doctor beside the simulated desk whose broker moved off a taken 1883', () => {
  let mosquitto: Server;
  let desk: SimulatedDeskProcess;
  let httpPort: string;
  let brokerPort: string;
  /** The desk's and doctor's 1883, which is the stand-in Mosquitto's port. */
  let taken1883: ReturnType<typeof portAlias>;

  beforeAll(async () => {
    // A Mosquitto of this machine on 1883: a listener on a port the system gives (never the
    // machine's own 1883, which a real Mosquitto or another test may hold, or find held), which
    // the desk and doctor take for their 1883.
    mosquitto = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      mosquitto.once('error', reject);
      mosquitto.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
    });
    taken1883 = portAlias(1883, (mosquitto.address() as AddressInfo).port);
    // As IT starts it on a desk PC whose 8480 they chose to move: no --mqtt-port. Its HTTP port is
    // one the system gives it (one found free beforehand may be taken by another test's process
    // first), read from what it prints, and given to doctor as IT gives the one they chose.
    desk = await startSimulatedDesk('carrel-doctor-moved-desk-', ['--http-port', '0'], taken1883);
    expect(desk.banner).toContain(
      "127.0.0.1:1883 is taken (a Mosquitto of this machine?): the simulated desk's MQTT broker",
    );
    httpPort = new URL(desk.api).port;
    brokerPort = /MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(desk.banner)?.[1] ?? '';
    expect(brokerPort).not.toBe('');
    expect(brokerPort).not.toBe('1883');
  }, 60_000);

  afterAll(async () => {
    await desk?.stop();
    if (mosquitto?.listening) await new Promise((resolve) => mosquitto.close(resolve));
  });

  it("finds the desk on the HTTP port it was started with and dials the broker where the desk says it is, not 1883's process", async () => {
    const { code, checks } = await doctor(['--http-port', httpPort], 5, taken1883);
    expect(check(checks, `HTTP port ${httpPort}`)).toMatchObject({ status: 'pass' });
    expect(check(checks, `HTTP port ${httpPort}`).detail).toContain('held by the running Carrel');
    const port = check(checks, 'MQTT port 1883');
    expect(port.status).toBe('warn');
    expect(port.detail).toBe(
      `the running Carrel (http://127.0.0.1:${httpPort}) has its MQTT broker on 127.0.0.1:${brokerPort}, not on 1883: 127.0.0.1:1883 is held by another process (a Mosquitto of this machine?)`,
    );
    expect(port.hint).toContain(
      `kiosks and other MQTT clients of this desk reach it at mqtt://127.0.0.1:${brokerPort}`,
    );
    expect(port.hint).toContain('carrel start --mqtt-port N');
    expect(check(checks, 'MQTT broker')).toEqual({
      name: 'MQTT broker',
      status: 'pass',
      detail: `the running Carrel's embedded broker answers on mqtt://127.0.0.1:${brokerPort}`,
    });
    // Its devices are read from the running desk, not from simulators of doctor's own.
    expect(check(checks, 'device ils').detail).toContain('(from the running Carrel)');
    expect(code).toBe(0);
  }, 60_000);

  it('under a device the running desk says is degraded (paper out), says what to do, as under every warning', async () => {
    const control = /printer-sim \(printer\): (http:\/\/\S+)/.exec(desk.banner)?.[1];
    if (!control) throw new Error(`no printer simulator in ${desk.banner}`);
    const paper = (paperOut: boolean) =>
      fetch(`${control}/api/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ paperOut }),
      });
    await paper(true);
    try {
      await until(
        async () => {
          const ready = (await (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).json()) as {
            checks: Array<{ name: string; detail: string }>;
          };
          return ready.checks.find((c) => c.name === 'device:receipt-1' && c.detail.startsWith('degraded'));
        },
        15_000,
        'the receipt printer to be degraded',
      );
      const { checks } = await doctor(['--http-port', httpPort], 5, taken1883);
      const printer = check(checks, 'device receipt-1');
      expect(printer.status).toBe('warn');
      expect(printer.detail).toMatch(/^degraded: .*paper.*\(from the running Carrel\)$/);
      expect(printer.hint).toBe('the device answers but reports a problem: see its reason');
    } finally {
      await paper(false);
    }
  }, 60_000);

  it('takes --mqtt-port as carrel start does, and says a port given that way is free when nothing holds it', async () => {
    // Doctor must be given ports nothing holds, found free a moment before; should another test's
    // process take one meanwhile (doctor: 'in use by a process that is not Carrel'), fresh ones are
    // tried, 3 at most.
    let spare = '';
    let checks: Check[] = [];
    for (let tried = 1; tried <= 3; tried++) {
      const http = String(await freePort());
      spare = String(await freePort());
      // Only the ports' checks are read, and no Carrel holds these to be asked: --timeout bounds
      // the simulated desk's own devices here, its gate among them, which says it is there every
      // 5 s and was waited for 5 s on every run.
      ({ checks } = await doctor(['--http-port', http, '--mqtt-port', spare], 1));
      if (!check(checks, `MQTT port ${spare}`).detail.includes('in use by a process that is not Carrel'))
        break;
    }
    expect(check(checks, `MQTT port ${spare}`)).toMatchObject({
      status: 'pass',
      detail: `127.0.0.1:${spare} is free`,
    });
  }, 60_000);

  it('refuses a port option that is not a port, as carrel start does', async () => {
    const run = await runCarrel(['doctor', '--http-port', 'eighty'], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('carrel: --http-port must be a port number 0-65535, got "eighty"\n');
  });
});

describe('carrel doctor beside a running desk whose broker takes a free port at start (mqtt.port 0)', () => {
  it('passes the port the desk chose and its broker there, not a broker on port 0', async () => {
    // The desk's HTTP port is one the system gives it (one found free beforehand may be taken by
    // another test's process first); its file is then written with the port it got, as a desk whose
    // configuration names its HTTP port, for doctor to find it there. Its broker's stays 0.
    const http = { host: '127.0.0.1', port: 0 };
    const file = join(dir, 'port-0.json');
    const writeDesk = () =>
      writeConfigFile(
        dir,
        'port-0.json',
        bareDesk('desk-0', join(dir, 'port-0', 'carrel.db'), {
          http,
          mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
        }),
      );
    writeDesk();
    const carrel = spawn(process.execPath, [CARREL_CLI, 'start', '--config', file, '--log-level', 'silent'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let banner = '';
    carrel.stderr.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
    });
    try {
      const brokerPort = await until(
        async () => /MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+)\n/.exec(banner)?.[1],
        30_000,
        'the desk to name its broker',
      );
      http.port = Number(/API\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/.exec(banner)?.[1]);
      writeDesk();
      const { code, checks, stdout } = await doctor(['--config', file]);
      expect(check(checks, 'MQTT port 0')).toMatchObject({
        status: 'pass',
        detail: `127.0.0.1:${brokerPort} is held by the running Carrel (http://127.0.0.1:${http.port}), a port it chose at start`,
      });
      expect(check(checks, 'MQTT broker')).toMatchObject({
        status: 'pass',
        detail: `the running Carrel's embedded broker answers on mqtt://127.0.0.1:${brokerPort}`,
      });
      expect(stdout).not.toContain('127.0.0.1:0');
      expect(code).toBe(0);
    } finally {
      carrel.kill('SIGTERM');
      if (carrel.exitCode === null) await once(carrel, 'exit');
    }
  }, 60_000);
});

describe('carrel doctor beside a desk whose broker was started on another port on purpose (--mqtt-port)', () => {
  it('passes it, naming where clients reach it, while its configured port is free; warns once another process holds that port', async () => {
    // The configuration names a broker port nothing holds (found free a moment before); the desk is
    // started with --mqtt-port 0, as IT starts one beside a Mosquitto they keep on that port.
    const configured = await freePort();
    const http = { host: '127.0.0.1', port: 0 };
    const file = join(dir, 'mqtt-port-given.json');
    const writeDesk = () =>
      writeConfigFile(
        dir,
        'mqtt-port-given.json',
        bareDesk('desk-given', join(dir, 'mqtt-port-given', 'carrel.db'), {
          http,
          mqtt: { mode: 'embedded', host: '127.0.0.1', port: configured },
        }),
      );
    writeDesk();
    const carrel = spawn(
      process.execPath,
      [
        CARREL_CLI,
        'start',
        '--config',
        file,
        '--http-port',
        '0',
        '--mqtt-port',
        '0',
        '--log-level',
        'silent',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let banner = '';
    carrel.stderr.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
    });
    let holder: Server | undefined;
    try {
      const brokerPort = await until(
        async () => /MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+)\n/.exec(banner)?.[1],
        30_000,
        'the desk to name its broker',
      );
      http.port = Number(/API\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/.exec(banner)?.[1]);
      writeDesk();
      const { code, checks } = await doctor(['--config', file]);
      expect(check(checks, `MQTT port ${configured}`)).toEqual({
        name: `MQTT port ${configured}`,
        status: 'pass',
        detail: `the running Carrel (http://127.0.0.1:${http.port}) has its MQTT broker on 127.0.0.1:${brokerPort}, the port it was started with (carrel start --mqtt-port, or mqtt.port as it was then); nothing else listens on ${configured}: kiosks and other MQTT clients of this desk reach it at mqtt://127.0.0.1:${brokerPort}`,
      });
      expect(check(checks, 'MQTT broker')).toMatchObject({ status: 'pass' });
      expect(checks.filter((c) => c.status === 'warn' && c.name.startsWith('MQTT'))).toEqual([]);
      expect(code).toBe(0);

      // Another process takes the configured port: a client dialling it reaches that process.
      holder = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => holder!.listen({ host: '127.0.0.1', port: configured }, resolve));
      const port = check((await doctor(['--config', file])).checks, `MQTT port ${configured}`);
      expect(port.status).toBe('warn');
      expect(port.detail).toContain(
        `not on ${configured}: 127.0.0.1:${configured} is held by another process`,
      );
    } finally {
      if (holder?.listening) await new Promise((resolve) => holder!.close(resolve));
      carrel.kill('SIGTERM');
      if (carrel.exitCode === null) await once(carrel, 'exit');
    }
  }, 60_000);
});
