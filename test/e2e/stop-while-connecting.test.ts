/**
 * Stopping Carrel while a device is still connecting: `carrel start` as a child process, its ILS
 * (the simulator, in this process) hung, so that the desk's login on its new connection goes
 * unanswered. systemd gives the daemon TimeoutStopSec=20 (systemd/carrel.service) between SIGTERM
 * and SIGKILL; an ILS link's connect may wait its connect timeout, then its login and its status
 * request each their request timeout. The stop must not wait for any of it — nor for a kiosk's
 * checkout that waits on the hung ILS over a kept-alive HTTP connection (the API's stop waited for
 * it, and the connection then held the process past SIGKILL).
 * The daemon runs the compiled code in dist/: `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { until } from '../helpers/until.js';

let dir: string;
let ils: IlsSimulator;
let daemon: CarrelDaemon | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-stop-connecting-'));
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  ils.setFaults({ hang: true });
}, 30_000);

afterAll(async () => {
  if (daemon) await killDaemon(daemon.child);
  ils?.setFaults({});
  await ils?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('carrel start, stopped while its ILS login goes unanswered', () => {
  // Per transaction, the link's first check runs on a connection of its own, outside its slots.
  it.each([
    ['on its pool of connections', false],
    ['per transaction', true],
  ])(
    'exits at once, not when the login would have timed out (%s)',
    async (_how, perTransaction) => {
      const config = writeDaemonConfig(dir, `stop-connecting-${perTransaction}`, {
        offline: { enabled: false },
        // Each request may wait 15 s: a stop that waits for the connect waits that long.
        devices: [{ ...simulatedIlsDevice(ils.port), requestTimeoutMs: 15_000, perTransaction }],
      });
      const accepted = ils.connectionsAccepted;
      daemon = await startCarrelDaemon(config);
      // The desk has dialled and its 93 login has reached the hung ILS, which read it and says nothing.
      await until(
        () =>
          (ils.connectionsAccepted > accepted &&
            ils.connectionStates().some((connection) => (connection.bytesRead ?? 0) > 0)) ||
          undefined,
        10_000,
        'the desk to send its login',
      );
      const child = daemon.child;
      const started = performance.now();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      const tookMs = performance.now() - started;
      daemon = undefined;
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(5_000);
      ils.dropConnections();
    },
    40_000,
  );
});

/** The bytes the ILS has read on all its connections so far. */
const ilsRead = () =>
  ils.connectionStates().reduce((sum, connection) => sum + (connection.bytesRead ?? 0), 0);

describe('carrel start, stopped while a checkout waits for a hung ILS', () => {
  it("exits within systemd's stop timeout, the checkout cut rather than waited for", async () => {
    ils.setFaults({});
    ils.dropConnections();
    const config = writeDaemonConfig(dir, 'stop-checkout', {
      offline: { enabled: false },
      // The checkout may wait 15 s for its answer: longer than a stop may take.
      devices: [{ ...simulatedIlsDevice(ils.port), requestTimeoutMs: 15_000 }],
    });
    daemon = await startCarrelDaemon(config);
    const { api, child } = daemon;
    await until(
      async () => {
        const state = (await (await fetch(`${api}/api/v1/devices/ils`)).json()) as { status: string };
        return state.status === 'online' || undefined;
      },
      15_000,
      'the ILS link online',
    );
    ils.setFaults({ hang: true });
    const before = ilsRead();
    // A kiosk's checkout, on the kept-alive connection fetch uses: the hung ILS reads it and says nothing.
    const checkout = fetch(`${api}/api/v1/checkouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000001', pin: '1234', item: '31000006' }),
    }).then(
      (response) => response.status,
      () => 'cut',
    );
    await until(() => ilsRead() > before || undefined, 10_000, 'the checkout to reach the ILS');

    const started = performance.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // systemd SIGKILLs a stop that takes 20 s (TimeoutStopSec); the daemon ends well before.
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 25_000)),
    ]);
    const tookMs = performance.now() - started;
    if (code === 'still running') await killDaemon(child);
    daemon = undefined;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(15_000);
    // Cut, or answered that the ILS link closed: never left hanging.
    expect(await checkout).not.toBe(200);
    ils.setFaults({});
    ils.dropConnections();
  }, 60_000);
});

describe('carrel start, something left open after its clean stop', () => {
  it('exits all the same after a short grace, naming what was still open', async () => {
    // A stray handle, as a library or a device driver might leave: a listening server nobody closes.
    const stray = path.join(dir, 'stray-server.mjs');
    writeFileSync(
      stray,
      "import { createServer } from 'node:net';\ncreateServer().listen(0, '127.0.0.1');\n",
    );
    const config = writeDaemonConfig(dir, 'stray-handle', { offline: { enabled: false } });
    daemon = await startCarrelDaemon(config, {}, 60_000, ['--import', stray]);
    const child = daemon.child;
    const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const started = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([
      closed,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 12_000)),
    ]);
    expect(code, 'carrel start still running 12 s after SIGTERM').toBe(0);
    expect(performance.now() - started).toBeLessThan(12_000);
    const said = daemon
      .log()
      .split('\n')
      .filter((line) => line.includes('after a clean stop'));
    daemon = undefined;
    expect(said).toHaveLength(1);
    expect(JSON.parse(said[0]!)).toMatchObject({
      level: 'warn',
      msg: expect.stringMatching(
        /^still running \d+ ms after a clean stop, held by what was left open: .*TCPServerWrap/,
      ),
      open: expect.objectContaining({ TCPServerWrap: 1 }),
    });
  }, 60_000);
});
