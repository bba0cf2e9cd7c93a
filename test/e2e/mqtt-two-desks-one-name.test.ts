/**
 * Two desks configured with the same site and gateway (a desk PC cloned from another's image) on
 * one Mosquitto that does not make client ids of user names: both are real Carrels, both publish
 * as carrel/main/desk-1 and both take every kiosk's requests there. Each must say so in words, on
 * /readyz (and so to `carrel doctor`, /metrics and its alert), not mix silently; and once one of
 * them dies, its last will must not leave the other, living desk shown offline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCarrel } from '../helpers/carrel-cli.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/until.js';

const skip = mosquittoSkipReason();
if (skip) console.warn(`skipping two desks of one name: ${skip}`);

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

interface Desk {
  child: ChildProcess;
  exited: Promise<void>;
  api: string;
  log: () => string;
}

async function startDesk(dir: string, name: string, brokerUrl: string): Promise<Desk> {
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      version: 2,
      site: 'main',
      gateway: 'desk-1',
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'external', url: brokerUrl, keepaliveSeconds: 5 },
      log: { level: 'info', format: 'json' },
      storage: { path: join(dir, `${name}.db`) },
      systemd: { watchdog: false },
      simulators: [{ id: 'printer-sim', kind: 'printer', port: 0, httpPort: 0 }],
      devices: [
        {
          id: 'receipt-1',
          kind: 'receipt-printer',
          transport: { type: 'simulator', simulator: 'printer-sim' },
        },
      ],
    }),
  );
  const { child, exited, said } = spawnCarrel(['start', '--config', config], {
    cwd: dir,
    keepChars: 200_000,
  });
  const api = await until(
    async () => /API\s+(http:\/\/\S+)\/api\/v1/.exec(said())?.[1],
    30_000,
    `desk ${name} started`,
  );
  return { child, exited, api, log: said };
}

/** What /readyz says of the MQTT feature (its check's text), or undefined when it names none. */
async function mqttCheck(desk: Desk): Promise<string | undefined> {
  const body = (await (await fetch(`${desk.api}/readyz`)).json()) as {
    checks: Array<{ name: string } & Record<string, unknown>>;
  };
  const check = body.checks.find((each) => each.name === 'feature:mqtt');
  return check ? JSON.stringify(check) : undefined;
}

describe.skipIf(skip !== undefined)('two desks configured with one site and gateway, on one broker', () => {
  let dir: string;
  let broker: MosquittoBroker;
  let first: Desk;
  let second: Desk;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-two-desks-'));
    broker = await startMosquitto();
    first = await startDesk(dir, 'first', broker.url);
    second = await startDesk(dir, 'second', broker.url);
  }, 90_000);

  afterAll(async () => {
    for (const desk of [first, second]) {
      if (!desk) continue;
      desk.child.kill('SIGKILL');
      await desk.exited;
    }
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each desk says another desk publishes as it, with what to do, on /readyz and in its log', async () => {
    for (const desk of [first, second]) {
      const said = await until(
        async () => {
          const check = await mqttCheck(desk);
          return check?.includes('carrel/main/desk-1') ? check : undefined;
        },
        15_000,
        'the duplicate named on /readyz',
      );
      expect(said).toMatch(/another desk/);
      expect(said).toMatch(/gateway/);
      await until(
        async () => (/another desk[^\n]*carrel\/main\/desk-1/.test(desk.log()) ? true : undefined),
        5000,
        'the duplicate said in the log',
      );
    }
  }, 40_000);

  it('carrel doctor on the desk says it as a failure of the MQTT check, with what to do', async () => {
    const port = new URL(first.api).port;
    const doctor = spawn(
      process.execPath,
      [CLI, 'doctor', '--config', join(dir, 'first.json'), '--http-port', port, '--timeout', '3'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    doctor.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => doctor.once('exit', resolve));
    const lines = out.split('\n');
    const at = lines.findIndex((line) => line.startsWith('FAIL  MQTT broker'));
    expect(lines[at], out).toContain('another desk publishes as carrel/main/desk-1');
    expect(lines[at + 1]).toMatch(/another gateway in its configuration/);
    expect(code).toBe(1);
  }, 40_000);

  it('keeps the living desk online on the broker when the other dies, and stops naming it', async () => {
    second.child.kill('SIGKILL');
    await second.exited;
    // The dead desk's last will says offline; the desk still running says online again.
    const state = async () => {
      const reader = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      try {
        let payload: string | undefined;
        reader.on('message', (_topic, message) => {
          payload = message.toString();
        });
        await reader.subscribeAsync('carrel/main/desk-1/state', { qos: 1 });
        await until(async () => payload, 5000, 'the retained state');
        return JSON.parse(payload!) as { status: string };
      } finally {
        await reader.endAsync();
      }
    };
    await until(
      async () => ((await mqttCheck(first)) === undefined ? true : undefined),
      15_000,
      'readyz clear',
    );
    await until(async () => ((await state()).status === 'online' ? true : undefined), 10_000, 'online');
  }, 40_000);
});
