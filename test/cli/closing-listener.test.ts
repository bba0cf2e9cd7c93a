/**
 * `carrel doctor` and `carrel mqtt forget` (the built command, dist/) when the port they ask is
 * held by a process that takes each connection and closes it at once (a program of another
 * vendor, a TLS listener dialled without TLS, a broker at its connection limit). Each must say
 * so and end with the exit status its help gives — never end with exit 0 having said nothing,
 * which a monitor reads as healthy. Every listener here is on a port the system gave.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { runCarrel } from '../helpers/carrel-cli.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../helpers/mosquitto.js';

interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  hint?: string;
}

/** A TCP listener that closes every connection as soon as it has taken it, and how many it took. */
async function closingListener(): Promise<{ server: Server; port: number; taken: () => number }> {
  let taken = 0;
  const server = createServer((connection) => {
    taken += 1;
    connection.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, taken: () => taken };
}

let dir: string;
let http: Awaited<ReturnType<typeof closingListener>>;
let broker: Awaited<ReturnType<typeof closingListener>>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-closing-listener-'));
  http = await closingListener();
  broker = await closingListener();
});
afterAll(async () => {
  for (const listener of [http, broker])
    await new Promise<void>((resolve) => (listener ? listener.server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function deskFile(name: string, desk: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: 'desk-9',
      storage: { path: join(dir, name, 'carrel.db') },
      devices: [],
      ...desk,
    }),
  );
  return file;
}

function carrel(args: string[]) {
  return runCarrel(args, { cwd: dir, env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' } });
}

function checksOf(stdout: string): Check[] {
  return (JSON.parse(stdout) as { checks: Check[] }).checks;
}

const NOT_CARREL = (port: number): Check => ({
  name: `HTTP port ${port}`,
  status: 'fail',
  detail: `127.0.0.1:${port} is in use by a process that is not Carrel: it does not answer /readyz as Carrel does`,
  hint: `see which with \`ss -ltnp 'sport = :${port}'\`; stop it or set http.port to a free port`,
});

/** Whether the broker's port closed the connection or reset it (it had the login unread): one wording. */
const CLOSED = "what listens there took the connection and closed it without answering the desk's MQTT login";
const CLOSED_TODO =
  "check that mqtt.url names the broker's MQTT port (mqtts:// for a TLS listener) and that the broker takes more connections";

describe('carrel doctor with its HTTP port held by a process that closes each connection at once', () => {
  it('says the port is held by a process that is not Carrel, and exits 1 (MQTT off)', async () => {
    const file = deskFile('mqtt-off', {
      http: { host: '127.0.0.1', port: http.port },
      mqtt: { mode: 'off' },
    });
    // Three times: whether the closed connection came before or after the question was sent.
    for (let run = 0; run < 3; run++) {
      const doctor = await carrel(['doctor', '--config', file, '--json', '--timeout', '5']);
      expect(doctor.stderr).toBe('');
      expect(doctor.code).toBe(1);
      expect(checksOf(doctor.stdout).find((c) => c.name === `HTTP port ${http.port}`)).toEqual(
        NOT_CARREL(http.port),
      );
    }
    expect(http.taken()).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('with --mqtt-port given, held by another such process: says both, and exits 1', async () => {
    const file = deskFile('embedded', {
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
    });
    const doctor = await carrel([
      'doctor',
      '--config',
      file,
      '--http-port',
      String(http.port),
      '--mqtt-port',
      String(broker.port),
      '--json',
      '--timeout',
      '5',
    ]);
    expect(doctor.stderr).toBe('');
    expect(doctor.code).toBe(1);
    const checks = checksOf(doctor.stdout);
    expect(checks.find((c) => c.name === `HTTP port ${http.port}`)).toEqual(NOT_CARREL(http.port));
    expect(checks.find((c) => c.name === `MQTT port ${broker.port}`)).toMatchObject({
      status: 'fail',
      detail: `127.0.0.1:${broker.port} is in use by a process that is not Carrel`,
    });
    // The embedded broker is dialled only where a running Carrel says it listens: not here.
    expect(checks.find((c) => c.name === 'MQTT broker')?.status).toBe('skip');
  }, 60_000);

  it('with an external broker whose port closes each connection too: says so, and exits 1', async () => {
    const file = deskFile('external', {
      http: { host: '127.0.0.1', port: http.port },
      mqtt: { mode: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'desk-9' },
    });
    const doctor = await carrel(['doctor', '--config', file, '--json', '--timeout', '5']);
    expect(doctor.stderr).toBe('');
    expect(doctor.code).toBe(1);
    const checks = checksOf(doctor.stdout);
    expect(checks.find((c) => c.name === `HTTP port ${http.port}`)).toEqual(NOT_CARREL(http.port));
    expect(checks.find((c) => c.name === 'MQTT broker')).toEqual({
      name: 'MQTT broker',
      status: 'fail',
      detail: `mqtt://127.0.0.1:${broker.port}: ${CLOSED}`,
      hint: CLOSED_TODO,
    });
  }, 60_000);
});

describe('carrel mqtt forget with a port held by a process that closes each connection at once', () => {
  it("its broker's port: says what listens there closed the connection without answering, exit 1", async () => {
    const file = deskFile('forget-broker', {
      // Port 0: no Carrel of this desk to ask first; what is dialled is the broker.
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'desk-9' },
    });
    // Three times: whether the connection was closed, or reset with the login unread.
    for (let run = 0; run < 3; run++) {
      const taken = broker.taken();
      const forget = await carrel(['mqtt', 'forget', '--config', file]);
      expect(forget.stdout).toBe('');
      expect(forget.stderr).toBe(`carrel: mqtt://127.0.0.1:${broker.port}: ${CLOSED}: ${CLOSED_TODO}\n`);
      expect(forget.code).toBe(1);
      expect(broker.taken()).toBe(taken + 1);
    }
  }, 60_000);

  describe.skipIf(mosquittoSkipReason() !== undefined)('its HTTP port, the broker a real Mosquitto', () => {
    let mosquitto: MosquittoBroker;
    beforeAll(async () => {
      mosquitto = await startMosquitto();
    }, 60_000);
    afterAll(async () => {
      await mosquitto?.stop();
    });

    it('takes it not to be a Carrel of this desk and goes on to the broker: nothing retained, exit 0', async () => {
      const file = deskFile('forget-http', {
        http: { host: '127.0.0.1', port: http.port },
        mqtt: { mode: 'external', url: mosquitto.url, username: 'desk-9' },
      });
      const taken = http.taken();
      const forget = await carrel(['mqtt', 'forget', '--config', file, '--json']);
      expect(forget.stderr).toBe('');
      expect(forget.code).toBe(0);
      expect(JSON.parse(forget.stdout)).toEqual({ base: 'carrel/library/desk-9', cleared: [] });
      expect(http.taken()).toBeGreaterThan(taken);
    }, 60_000);
  });
});
