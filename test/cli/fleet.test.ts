import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { freePort } from '../helpers/free-port.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  startTlsMosquitto,
  writeMosquittoPasswords,
} from '../helpers/mosquitto.js';
import { hasOpenssl, makeTestCa } from '../helpers/tls-ca.js';
import { until } from '../helpers/until.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

/** `carrel fleet …` to its end, bounded: a command that hangs fails here instead of hanging the suite. */
function fleet(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'fleet', ...args], {
      env: { ...process.env, CARREL_FLEET_TOKEN: '', CARREL_FLEET_BROKER: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`carrel fleet ${args.join(' ')} did not end: ${stderr}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/**
 * `carrel fleet --timeout SECONDS` against a TCP port that `serve` answers as a broker would not:
 * its end, how long it took (node's start-up with it), how long it went on after it first dialled
 * (node's start-up, seconds on a loaded machine, left out) and the port.
 */
async function fleetAgainst(serve: (socket: Socket) => void, timeout: string) {
  let dialled: number | undefined;
  const server = createServer((socket) => {
    dialled ??= performance.now();
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const started = performance.now();
    const result = await fleet([
      '--broker',
      `mqtt://127.0.0.1:${port}`,
      '--http-port',
      '0',
      '--timeout',
      timeout,
    ]);
    const ended = performance.now();
    return { result, took: ended - started, afterDial: ended - (dialled ?? started), port };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

// The file's two longest waits are the fleet view's own: 10 s dialling a broker that is not there
// before it gives up, and 10 s before it dials again a broker that refused it. Both are idle time,
// so the two suites that wait them run side by side (one after the other, 21 of the file's 34 s).
describe('carrel fleet, used wrongly', { concurrent: true }, () => {
  it('says what it needs, in one line, and exits 2 for bad usage', async () => {
    const missing = await fleet([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^carrel: fleet needs --broker URL/);
    const http = await fleet(['--broker', 'http://central.example']);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/--broker must be an mqtt:\/\//);
    const level = await fleet(['--broker', 'mqtt://127.0.0.1:1', '--log-level', 'chatty']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/--log-level/);
    expect(level.stderr).not.toMatch(/\n\s+at /);
  });

  it('says why it cannot reach a broker that is not there, not that the broker did not answer', async () => {
    const nobody = await freePort(); // nothing listens there: every connection is refused
    const result = await fleet(['--broker', `mqtt://127.0.0.1:${nobody}`, '--http-port', '0']);
    expect(result.code).toBe(1);
    const said = result.stderr.trim().split('\n').at(-1);
    expect(said).toMatch(
      new RegExp(
        `^carrel: cannot reach mqtt://127\\.0\\.0\\.1:${nobody}: .*ECONNREFUSED.*is the broker running`,
      ),
    );
    expect(said).not.toMatch(/no answer/);
    // Without --timeout it dials for 10 s, as before there was one.
    expect(said).toMatch(/\(tried for 10 s;/);
  }, 30_000);

  it('refuses a --timeout that is not a number of seconds from 1 to 600, in words, before dialling', async () => {
    // One after the other: each is a node started, and the file's other waits run beside them.
    for (const value of ['soon', '', '0', '-5', '601', '1e9']) {
      const result = await fleet(['--broker', 'mqtt://127.0.0.1:1', `--timeout=${value}`]);
      expect(result.code, value).toBe(2);
      expect(result.stderr.trim(), value).toBe(
        `carrel: --timeout is how many seconds to dial the broker at start, from 1 to 600, got "${value}"`,
      );
    }
  });

  it('gives up on a broker that does not answer after --timeout seconds, saying how long it tried', async () => {
    // A broker's port that takes the connection and never answers: a hung broker, or a firewall
    // that swallows it — the case a slow or far broker would want longer for, and a script shorter.
    const { result, took, afterDial, port } = await fleetAgainst((socket) => socket.resume(), '1.5');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^carrel: cannot reach mqtt://127\\.0\\.0\\.1:${port}: .*\\(tried for 1\\.5 s;`),
    );
    expect(took).toBeGreaterThanOrEqual(1500);
    // Well short of the 10 s it dials without --timeout, counted from its first dial: node's
    // start-up before it took 4 s and more on a loaded machine.
    expect(afterDial).toBeLessThan(9000);
  });

  it('gives up within --timeout in all when the broker shuts MQTT 5 out and then does not answer 3.1.1', async () => {
    // The first connection is closed on its CONNECT (how a 3.1.1-only broker may refuse MQTT 5),
    // which the fleet view takes as "speaks 3.1.1 only" and dials again; the second is never answered.
    let connections = 0;
    const { result, took, afterDial, port } = await fleetAgainst((socket) => {
      connections++;
      if (connections === 1) socket.once('data', () => socket.end());
      else socket.resume();
    }, '5');
    expect(result.code).toBe(1);
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/does not speak MQTT 5/);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      // The whole start's time, said once (mqtt.js's own CONNACK timeout may come first).
      new RegExp(`^carrel: .*mqtt://127\\.0\\.0\\.1:${port}.*\\b(in|tried for) 5 s\\b`),
    );
    expect(took).toBeGreaterThanOrEqual(5000);
    // The 3.1.1 attempt had what was left of the 5 s, not 5 s more: counted from the first dial,
    // node's start-up left out.
    expect(afterDial).toBeLessThan(9000);
  });

  it('will not serve beyond this machine without a token', async () => {
    const open = await fleet(['--broker', 'mqtt://127.0.0.1:1', '--host', '0.0.0.0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/only with a token \(--token or CARREL_FLEET_TOKEN\)/);
  });
});

const skip = mosquittoSkipReason();

describe.skipIf(skip !== undefined || !hasOpenssl)(
  'carrel fleet, when its broker comes back with a certificate it does not trust',
  { concurrent: true },
  () => {
    let dir: string;
    let libraryCa: string;
    let broker: MosquittoBroker | undefined;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'carrel-fleet-tls-restart-'));
      libraryCa = makeTestCa(dir, 'library-ca');
      makeTestCa(dir, 'other-ca');
    });

    afterAll(async () => {
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("says why in the desks' words, once, not that the broker is unreachable, and takes it again when mended", async () => {
      broker = await startTlsMosquitto(dir, 'library-ca', 'broker', 'DNS:localhost,IP:127.0.0.1');
      const { port } = broker;
      const url = `mqtts://127.0.0.1:${port}`;
      const fleetView = runningFleet(['--broker', url, '--ca', libraryCa, '--http-port', '0']);
      try {
        const page = await Promise.race([
          until(async () => /page\s+(http:\S+)/.exec(fleetView.printed())?.[1], 15_000),
          fleetView.exited.then((code) => {
            throw new Error(`carrel fleet ended (${code}): ${fleetView.log()}`);
          }),
        ]);
        // The library's broker is given a certificate of another CA, and restarted.
        await broker.stop();
        broker = await startTlsMosquitto(
          dir,
          'other-ca',
          'broker',
          'DNS:localhost,IP:127.0.0.1',
          () => [],
          port,
        );
        const refusal = `${url}: the broker's certificate is not signed by the CA in --ca (${libraryCa}) (`;
        const logged = () =>
          fleetView
            .log()
            .split('\n')
            .filter((line) => line.includes(refusal));
        await until(async () => logged()[0], 15_000, 'the refusal in the log');
        expect(logged()[0]).toContain('"level":"error"');
        expect(logged()[0]).toContain("put the CA that signed the broker's certificate in that file");
        // Said once, however often it is dialled meanwhile, and the page's data says it too.
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(logged()).toHaveLength(1);
        const snapshot = (await (await fetch(`${page}/api/desks`)).json()) as {
          broker: { connected: boolean; refused?: string };
        };
        expect(snapshot.broker.connected).toBe(false);
        expect(snapshot.broker.refused).toContain(refusal);
        const afterRestart = fleetView.log().slice(fleetView.log().indexOf(refusal));
        expect(afterRestart).not.toMatch(/unreachable/);

        // IT puts the library's certificate back: the fleet view takes the broker again by itself.
        await broker.stop();
        broker = await startTlsMosquitto(
          dir,
          'library-ca',
          'broker',
          'DNS:localhost,IP:127.0.0.1',
          () => [],
          port,
        );
        await until(
          async () => (fleetView.log().includes(`${url} connected again`) ? true : undefined),
          20_000,
          'the fleet view to connect again',
        );
        const again = (await (await fetch(`${page}/api/desks`)).json()) as {
          broker: { connected: boolean; refused?: string };
        };
        expect(again.broker).toEqual({ url, connected: true });
        expect(await fleetView.stop()).toBe(0);
      } finally {
        await fleetView.stop();
      }
    }, 60_000);
  },
);

describe.skipIf(skip !== undefined)('carrel fleet, refused by the broker', () => {
  let broker: MosquittoBroker;

  beforeAll(async () => {
    broker = await startMosquitto({
      configure(dir) {
        const passwords = join(dir, 'passwd');
        writeMosquittoPasswords(passwords, { 'fleet-view': 'the-right-password-0123' });
        return ['allow_anonymous false', `password_file ${passwords}`];
      },
    });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('says so in one line, in the words a desk uses, with what to check, without the password, and ends', async () => {
    const result = await fleet(['--broker', broker.url, '--username', 'fleet-view', '--http-port', '0'], {
      CARREL_FLEET_PASSWORD: 'a-wrong-password-0123',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `carrel: ${broker.url}: it refused the fleet view's login: Connection refused: Not authorized (check --username and --password, and the broker's password file and ACL for that user)`,
    ]);
    expect(result.stderr).not.toContain('a-wrong-password');
  });
});

describe.skipIf(skip !== undefined || !hasOpenssl)(
  'carrel fleet, on a broker over TLS it does not trust',
  () => {
    let dir: string;
    let libraryCa: string;
    let otherCa: string;
    let right: MosquittoBroker;
    let misnamed: MosquittoBroker;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'carrel-fleet-tls-'));
      libraryCa = makeTestCa(dir, 'library-ca');
      otherCa = makeTestCa(dir, 'other-ca');
      const tlsBroker = (certName: string, altNames: string) =>
        startTlsMosquitto(dir, 'library-ca', certName, altNames);
      right = await tlsBroker('broker', 'DNS:localhost,IP:127.0.0.1');
      misnamed = await tlsBroker('elsewhere', 'DNS:mqtt.elsewhere.example');
    }, 60_000);

    afterAll(async () => {
      await right?.stop();
      await misnamed?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('given another CA with --ca, says the certificate is not signed by it, at once, not that the broker cannot be reached', async () => {
      const url = `mqtts://127.0.0.1:${right.port}`;
      const started = performance.now();
      const result = await fleet(['--broker', url, '--ca', otherCa, '--http-port', '0']);
      expect(result.code).toBe(1);
      const said = result.stderr.trim().split('\n').at(-1);
      expect(said).toContain(
        `carrel: ${url}: the broker's certificate is not signed by the CA in --ca (${otherCa}) (`,
      );
      expect(said).toMatch(/: put the CA that signed the broker's certificate in that file$/);
      expect(said).not.toMatch(/cannot reach|is the broker running/);
      // Not dialled for the 10 s a broker that is not there gets.
      expect(performance.now() - started).toBeLessThan(8000);
    });

    it('on a broker whose certificate names another host, says which name it has and to dial it in --broker', async () => {
      const url = `mqtts://127.0.0.1:${misnamed.port}`;
      const result = await fleet(['--broker', url, '--ca', libraryCa, '--http-port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n').at(-1)).toBe(
        `carrel: ${url}: the broker's certificate is not made out for 127.0.0.1 (it names DNS:mqtt.elsewhere.example): dial the broker by a name its certificate has, in --broker, or have its certificate made out for 127.0.0.1`,
      );
    });
  },
);

describe.skipIf(skip !== undefined)(
  'carrel fleet, run from a unit file that leaves its secrets empty',
  () => {
    let broker: MosquittoBroker;

    beforeAll(async () => {
      broker = await startMosquitto(); // anonymous, as a branch's test broker
    });

    afterAll(async () => {
      await broker?.stop();
    });

    it('takes an empty CARREL_FLEET_PASSWORD as none, as an unset one, and serves the page', async () => {
      // `Environment=CARREL_FLEET_PASSWORD=` in a unit file, or an export left empty in a shell.
      const fleetView = runningFleet(['--broker', broker.url, '--http-port', '0'], {
        CARREL_FLEET_PASSWORD: '',
      });
      try {
        const served = await Promise.race([
          until(async () => (/page\s+http:/.test(fleetView.printed()) ? true : undefined), 15_000),
          fleetView.exited.then(() => fleetView.log()),
        ]);
        expect(served).toBe(true);
        expect(await fleetView.stop()).toBe(0);
      } finally {
        await fleetView.stop();
      }
    });
  },
);

describe.skipIf(skip !== undefined)(
  'carrel fleet, read by a script (stdout and stderr not terminals)',
  () => {
    let broker: MosquittoBroker;

    beforeAll(async () => {
      broker = await startMosquitto();
    });

    afterAll(async () => {
      await broker?.stop();
    });

    it('prints where its page is on stdout, and nothing else there; its log is JSON lines on stderr', async () => {
      const fleetView = runningFleet(['--broker', broker.url, '--http-port', '0']);
      try {
        // Connected (logged) and serving (the page named), on whichever stream each went.
        const both = () => `${fleetView.printed()}${fleetView.log()}`;
        await Promise.race([
          until(
            async () =>
              /page\s+http:/.test(both()) && both().includes('fleet view connected') ? true : undefined,
            15_000,
          ),
          fleetView.exited.then((code) => {
            throw new Error(`carrel fleet ended (${code}): ${both()}`);
          }),
        ]);
        const page = /page\s+(http:\S+)/.exec(both())?.[1];
        expect(page).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fleet$/);
        // What a script reads: the banner alone, not a log line among it.
        expect(fleetView.printed()).toBe(
          `Carrel fleet view of ${broker.url}\n  page       ${page}\nStop with Ctrl-C.\n`,
        );
        const logged = fleetView
          .log()
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { service: string; msg: string });
        expect(logged.map((entry) => entry.msg)).toContain('fleet view connected');
        for (const entry of logged) expect(entry.service).toBe('carrel');
        expect(await fleetView.stop()).toBe(0);
      } finally {
        await fleetView.stop();
      }
    });
  },
);

describe.skipIf(skip !== undefined)('carrel fleet, when its port is taken', () => {
  let broker: MosquittoBroker;
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    broker = await startMosquitto();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => taken?.close(resolve));
    await broker?.stop();
  });

  it('says so in one line and ends, leaving nothing connected', async () => {
    const result = await fleet(['--broker', broker.url, '--http-port', String(port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`carrel: the fleet view cannot listen on 127.0.0.1:${port}`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

/**
 * `carrel fleet …` left running: what it printed on stdout (where its page is) and its log on
 * stderr (with any error) so far, and a stop that ends it (SIGTERM) and gives its exit code.
 */
function runningFleet(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, 'fleet', ...args], {
    env: { ...process.env, CARREL_FLEET_TOKEN: '', CARREL_FLEET_BROKER: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    printed: () => printed,
    log: () => log,
    exited,
    async stop(): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

describe('carrel fleet, pointed at a desk’s embedded broker (MQTT 3.1.1 only)', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startTestDesk();
  }, 30_000);

  afterAll(async () => {
    await desk?.stop();
  });

  it('falls back to MQTT 3.1.1 by itself, says so once, and shows the desk', async () => {
    const broker = desk.desk.urls().mqtt!;
    const fleetView = runningFleet(['--broker', broker, '--http-port', '0']);
    try {
      const page = await Promise.race([
        until(async () => /page\s+(http:\S+)/.exec(fleetView.printed())?.[1], 15_000),
        fleetView.exited.then((code) => {
          throw new Error(`carrel fleet ended (${code}): ${fleetView.log()}`);
        }),
      ]);
      const snapshot = await until(async () => {
        const body = (await (await fetch(`${page}/api/desks`)).json()) as {
          desks: Array<{ site: string; gateway: string; status: string }>;
        };
        return body.desks.length > 0 ? body : undefined;
      });
      expect(snapshot.desks).toContainEqual(
        expect.objectContaining({ site: 'library', gateway: 'desk-1', status: 'online' }),
      );
      // What it printed and logged, together.
      const said = `${fleetView.printed()}${fleetView.log()}`
        .split('\n')
        .filter((line) => /3\.1\.1/.test(line));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/does not speak MQTT 5.*MQTT 3\.1\.1/);
      // The refused MQTT 5 attempt is no outage to report.
      expect(fleetView.log()).not.toMatch(/unreachable|refused the connection/);
      expect(await fleetView.stop()).toBe(0);
    } finally {
      await fleetView.stop();
    }
  });

  it('falls back to MQTT 3.1.1 too from a broker that closes the connection on the MQTT 5 CONNECT', async () => {
    const { port: brokerPort } = new URL(desk.desk.urls().mqtt!);
    // A broker of 3.1.1 that hangs up on a CONNECT of another version instead of answering it.
    const picky = createServer((socket) => {
      socket.once('data', (connect: Buffer) => {
        let offset = 1;
        while ((connect[offset] ?? 0) & 0x80) offset++;
        const level = connect[offset + 1 + 6]; // length 4, 'MQTT', then the protocol level
        if (level !== 4) {
          socket.destroy();
          return;
        }
        const upstream = createConnection(Number(brokerPort), '127.0.0.1', () => {
          upstream.write(connect);
          socket.pipe(upstream).pipe(socket);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
    });
    await new Promise<void>((resolve) => picky.listen(0, '127.0.0.1', resolve));
    const fleetView = runningFleet([
      '--broker',
      `mqtt://127.0.0.1:${(picky.address() as { port: number }).port}`,
      '--http-port',
      '0',
    ]);
    try {
      await Promise.race([
        until(async () => (/page\s+http:/.test(fleetView.printed()) ? true : undefined), 15_000),
        fleetView.exited.then((code) => {
          throw new Error(`carrel fleet ended (${code}): ${fleetView.log()}`);
        }),
      ]);
      expect(fleetView.log()).toMatch(/closed the connection on the MQTT 5 CONNECT\): using MQTT 3\.1\.1/);
      expect(await fleetView.stop()).toBe(0);
    } finally {
      await fleetView.stop();
      await new Promise((resolve) => picky.close(resolve));
    }
  });

  it('with --protocol 5 given, says the broker does not speak it and which option to give, in one line', async () => {
    const broker = desk.desk.urls().mqtt!;
    const result = await fleet(['--broker', broker, '--protocol', '5', '--http-port', '0']);
    expect(result.code).toBe(1);
    const said = result.stderr.trim().split('\n');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^carrel: mqtt:\/\/127\.0\.0\.1:\d+ refused the connection: .*Unacceptable protocol version/,
    );
    expect(said[0]).toContain('it does not speak MQTT 5');
    expect(said[0]).toContain('--protocol 3.1.1');
  });
});
