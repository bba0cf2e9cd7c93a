import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSIONS, takeInstanceLock } from '../../src/gateway/storage/index.js';
import { FakeNotifySocket } from '../helpers/notify-socket.js';

/** The built `carrel` command (npm test builds before it runs the tests). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function carrel(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `command args` to its end, as spawnSync gives it, without holding this process up: the refused
 * starts of a test, each its own process, are run side by side (one after another, they were
 * most of this file's time). Killed after 30 s, as spawnSync's timeout did.
 */
function ran(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = said(child.stdout);
  const stderr = said(child.stderr);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: stdout(), stderr: stderr() });
    }),
  );
}

/** `carrel args` in the test's folder, to its end, as `carrel()` but side by side with others. */
function carrelRan(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return ran(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...process.env, ...options.env },
  });
}

/** `carrel start` with `args` in `home`, once it prints its banner (it serves); ended by the caller. */
async function runningDesk(home: string, args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    cwd: home,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      if (banner.includes('Stop with Ctrl-C.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the desk in ${home} exited with ${code}: ${banner}`)));
  });
  return { child, banner };
}

/** What a stream has said so far. */
function said(stream: Readable | null | undefined): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

/** SIGTERM, then the exit code. */
function stopDesk(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const BAD_CONFIG = `version: 1
http:
  port: eighty
mqtt:
  mode: embedded
  port: 99999
devices:
  - id: receipt-1
    kind: receipt-printer
    transport: { type: carrier-pigeon }
  - id: receipt-1
    kind: receipt-printer
    colums: 42
    transport: { type: tcp, host: printer.local, port: 9100 }
`;

describe('carrel command', () => {
  it('exits 2 on a bad configuration, listing every error with its path and no stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, BAD_CONFIG);
    const commands = [
      ['config', 'check', file],
      ['start', '--config', file],
    ];
    const results = await Promise.all(commands.map((args) => carrelRan(args)));
    for (const [index, args] of commands.entries()) {
      const result = results[index]!;
      expect(result.status, args.join(' ')).toBe(2);
      const output = result.stdout + result.stderr;
      expect(output).toContain('http.port');
      expect(output).toContain('mqtt.port');
      expect(output).toContain('devices[0].transport.type');
      expect(output).toMatch(/devices\[1\]\.colums: .*did you mean "columns"/);
      expect(output).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
  });

  it('suggests the setting meant for a typo of a real key, two letters swapped included', () => {
    const file = join(dir, 'typos.yaml');
    writeFileSync(
      file,
      `version: 1
http:
  hots: 0.0.0.0
  prot: 8080
mqtt:
  mdoe: embedded
devices:
  - id: receipt-1
    kind: receipt-printer
    colmuns: 42
    trasnport: { type: tcp, host: printer.local, port: 9100 }
  - id: receipt-2
    kind: receipt-printer
    transport: { type: tcp, hsot: printer.local, port: 9100 }
`,
    );
    const result = carrel(['config', 'check', file]);
    expect(result.status).toBe(2);
    const output = result.stdout + result.stderr;
    expect(output).toContain('http.hots: unknown setting "hots" (did you mean "host"?)');
    expect(output).toContain('http.prot: unknown setting "prot" (did you mean "port"?)');
    expect(output).toContain('devices[0].colmuns: unknown setting "colmuns" (did you mean "columns"?)');
    expect(output).toContain('devices[0].trasnport: unknown setting "trasnport" (did you mean "transport"?)');
    expect(output).toContain('devices[1].transport.hsot: unknown setting "hsot" (did you mean "host"?)');
    // The missing mode is what the schema sees; the line says the typo is it.
    expect(output).toMatch(
      /mqtt\.mode: is required: one of off, embedded, external \(is "mdoe" meant to be "mode"\?\)/,
    );
  });

  it('accepts a good configuration and unreadable files get one line', () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify({ version: 1, devices: [] }));
    expect(carrel(['config', 'check', file])).toMatchObject({
      status: 0,
      stdout: 'ok: 0 devices, 0 simulators\n',
    });
    const missing = carrel(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('answers no command with its usage on stderr and exit 2, as any other bad usage; --help on stdout, exit 0', () => {
    const bare = carrel([]);
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^usage: carrel <command> \[options\]\n/);
    expect(bare.stderr).toContain('doctor');
    const help = carrel(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: carrel <command> \[options\]\n/);
    expect(help.stderr).toBe('');
  });

  it('answers unknown commands and options with usage and exit 2', async () => {
    const [unknown, result] = await Promise.all([
      carrelRan(['frobnicate']),
      carrelRan(['start', '--no-such-option']),
    ]);
    expect(unknown.status).toBe(2);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--no-such-option');
    // 1883 taken (a developer's Mosquitto): a mistyped option is still the only thing said, not
    // the simulated desk's note that its broker moves to a free port.
    const mosquitto = createServer();
    const held = await new Promise<boolean>((resolve) => {
      mosquitto.once('error', () => resolve(false));
      mosquitto.listen(1883, '127.0.0.1', () => resolve(true));
    });
    try {
      // A level the logger does not know is a usage error, not the logger's stack trace.
      const [startLevel, fleetLevel, port] = await Promise.all([
        carrelRan(['start', '--log-level', 'verbose']),
        carrelRan(['fleet', '--broker', 'mqtt://127.0.0.1:1', '--log-level', 'verbose']),
        carrelRan(['start', '--http-port', 'eighty']),
      ]);
      for (const level of [startLevel, fleetLevel]) {
        expect(level.status).toBe(2);
        expect(level.stderr).toBe(
          'carrel: --log-level is one of fatal, error, warn, info, debug, trace, silent, got "verbose"\n',
        );
      }
      expect(port.status).toBe(2);
      expect(port.stderr).not.toContain('1883');
    } finally {
      if (held) await new Promise((resolve) => mosquitto.close(resolve));
    }
  });

  it('does not start beside another Carrel on the same state, nor on a port in use, and says why (exit 1)', async () => {
    const stateOf = (name: string) => {
      const home = join(dir, name);
      mkdirSync(home, { recursive: true });
      return home;
    };
    const { child: first, banner } = await runningDesk(stateOf('desk-a'), [
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
    ]);
    try {
      const port = /API\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/.exec(banner)![1]!;
      const start = (home: string, httpPort: string) =>
        carrelRan(['start', '--http-port', httpPort, '--mqtt-port', '0'], { cwd: home });
      const [beside, clash] = await Promise.all([
        // The same state directory: a second Carrel would replay the same offline journal.
        start(stateOf('desk-a'), '0'),
        // Its own state, the first desk's API port.
        start(stateOf('desk-b'), port),
      ]);
      expect(beside.status).toBe(1);
      expect(beside.stderr).toContain(
        `carrel: cannot start: storage: another Carrel is running on ${join(dir, 'desk-a', '.carrel-state', 'carrel.db')}`,
      );
      expect(beside.stderr).not.toContain('Stop with Ctrl-C.');

      expect(clash.status).toBe(1);
      expect(clash.stderr).toContain(
        `carrel: cannot start: http: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
      );
      expect(clash.stderr).toContain('`ss -ltnp` names it');
      expect(clash.stdout).toContain('"level":"fatal"');

      // The first desk never noticed.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(await stopDesk(first)).toBe(0);
      // Once it has stopped, the state is free again.
      const { child: after } = await runningDesk(stateOf('desk-a'), ['--http-port', '0', '--mqtt-port', '0']);
      expect(await stopDesk(after)).toBe(0);
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
    }
    // Four starts of `carrel start` one after another (two of them side by side): 3 s alone, 10–12 s
    // in CI's full run — past 20 s on a busier machine.
  }, 45_000);

  // This test and the next are refused starts of their own folders: side by side.
  it.concurrent('does not serve MQTT beyond this machine without tokens, and says what to do (exit 2, a mistake of the file)', async () => {
    const home = join(dir, 'mqtt-everywhere');
    mkdirSync(home, { recursive: true });
    const config = join(home, 'carrel.json');
    // Without tokens every MQTT client may do anything: on 0.0.0.0, anyone on the network.
    writeFileSync(
      config,
      JSON.stringify({
        version: 2,
        site: 'main',
        gateway: 'desk-1',
        mqtt: { mode: 'embedded', host: '0.0.0.0', port: 0 },
        storage: { path: join(home, 'carrel.db') },
        devices: [],
      }),
    );
    const started = await carrelRan(['start', '--config', config, '--http-port', '0'], { cwd: home });
    expect(started.status).toBe(2);
    expect(started.stderr).toContain(
      'mqtt.host: refusing to serve MQTT on 0.0.0.0 with no tokens configured: add auth.tokens or bind 127.0.0.1',
    );
  });

  it.concurrent('does not start on a database a newer Carrel wrote (a rolled-back upgrade), and says what to do', async () => {
    const home = join(dir, 'downgraded');
    mkdirSync(join(home, '.carrel-state'), { recursive: true });
    const db = openDatabase(join(home, '.carrel-state', 'carrel.db'));
    // What a newer Carrel leaves: its offline journal's schema one step further than this one's.
    db.exec(`CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,
      applied_at TEXT NOT NULL, PRIMARY KEY (component, version))`);
    db.prepare("INSERT INTO schema_migrations VALUES ('offline-journal', 99, '2027-01-01')").run();
    db.close();
    const started = await carrelRan(['start', '--http-port', '0', '--mqtt-port', '0'], { cwd: home });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(
      `carrel: cannot start: storage: ${join(home, '.carrel-state', 'carrel.db')} was written by a newer Carrel: offline-journal at version 99, this Carrel knows ${SCHEMA_VERSIONS['offline-journal']}`,
    );
    expect(started.stderr).toContain('install that version again, or stop and restore a backup');
    expect(started.stderr).not.toContain('Stop with Ctrl-C.');
  });

  it("moves the simulated desk's MQTT broker to a free port when 1883 is taken (a developer's Mosquitto)", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => {
      // Already taken by something of this machine is as good.
      squatter.once('error', () => resolve());
      squatter.listen({ host: '127.0.0.1', port: 1883, exclusive: true }, () => resolve());
    });
    const home = join(dir, 'desk-mqtt');
    mkdirSync(home);
    let child: ChildProcess | undefined;
    try {
      const running = await runningDesk(home, ['--http-port', '0', '--log-level', 'warn']);
      child = running.child;
      const { banner } = running;
      expect(banner).toContain(
        "127.0.0.1:1883 is taken (a Mosquitto of this machine?): the simulated desk's MQTT broker",
      );
      const port = /MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1];
      expect(port).toBeDefined();
      expect(port).not.toBe('1883');
      expect(await stopDesk(child)).toBe(0);
    } finally {
      if (child?.exitCode === null) child.kill('SIGKILL');
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  // Permissions mean nothing to root: this runs as root, for `nobody`, where nobody can run this
  // Node and read this checkout (not from a private directory).
  const asNobody = (args: string[]) => ran('runuser', ['-u', 'nobody', '--', process.execPath, ...args]);
  const nobodyCanRun =
    process.getuid?.() === 0 &&
    spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, CLI, '--version'], { timeout: 30_000 })
      .status === 0;

  it.runIf(nobodyCanRun)(
    "says whose the state is when Carrel's user may not write it (once run as root)",
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'carrel-owned-'));
      try {
        chmodSync(home, 0o755);
        const state = join(home, 'state');
        mkdirSync(state, { mode: 0o755 });
        // What a `carrel start` run as root leaves: the database and its lock file, root's.
        const db = openDatabase(join(state, 'carrel.db'));
        db.close();
        takeInstanceLock(join(state, 'carrel.db')).release();
        chmodSync(join(state, 'carrel.db'), 0o644);
        chmodSync(join(state, 'carrel.db.lock'), 0o644);
        // A file each: the starts that do not depend on one another run side by side.
        const config = (path: string, name: string) => {
          const file = join(home, `${name}.yaml`);
          writeFileSync(
            file,
            `version: 2\nhttp: { port: 0 }\nmqtt: { mode: 'off' }\nstorage: { path: ${path} }\n`,
            { mode: 0o644 },
          );
          return file;
        };

        const [owned, unmade] = await Promise.all([
          asNobody([CLI, 'start', '--config', config(join(state, 'carrel.db'), 'owned')]),
          // A directory to be made where nobody may make it.
          asNobody([CLI, 'start', '--config', config(join(state, 'desk', 'carrel.db'), 'unmade')]),
        ]);
        expect(owned.status).toBe(1);
        expect(owned.stderr).toContain(
          `cannot lock ${join(state, 'carrel.db.lock')}: nobody (the user Carrel runs as) may not write ${join(state, 'carrel.db.lock')}, which belongs to root: give it to nobody (chown)`,
        );
        // With the lock file writable, the database (and the directory its WAL goes in) says the same.
        chmodSync(join(state, 'carrel.db.lock'), 0o666);
        const database = await asNobody([
          CLI,
          'start',
          '--config',
          config(join(state, 'carrel.db'), 'database'),
        ]);
        expect(database.status).toBe(1);
        expect(database.stderr).toContain(
          `cannot open database ${join(state, 'carrel.db')}: nobody (the user Carrel runs as) may not write ${join(state, 'carrel.db')}, which belongs to root`,
        );

        expect(unmade.status).toBe(1);
        expect(unmade.stderr).toContain(
          `cannot make ${join(state, 'desk')} for the database: nobody (the user Carrel runs as) may not write ${state}, which belongs to root`,
        );
        expect(unmade.stderr).not.toContain('ports below 1024');
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );

  // Root ignores permission bits: a state directory on a disk mounted read-only is a read-only tmpfs.
  const readOnlyState = join(tmpdir(), `carrel-start-ro-${process.pid}`);
  const readOnlyMounted = (() => {
    if (process.platform !== 'linux') return false;
    mkdirSync(readOnlyState, { recursive: true });
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnlyState]).status === 0;
  })();
  afterAll(() => {
    if (readOnlyMounted) spawnSync('umount', [readOnlyState]);
    rmSync(readOnlyState, { recursive: true, force: true });
  });

  it.runIf(readOnlyMounted)(
    'says the state directory is on a read-only file system, not to chown a directory its user owns',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'carrel-ro-config-'));
      try {
        const file = join(home, 'carrel.yaml');
        writeFileSync(
          file,
          `version: 2\nhttp: { port: 0 }\nmqtt: { mode: 'off' }\nstorage: { path: ${join(readOnlyState, 'carrel.db')} }\n`,
        );
        const start = await ran(process.execPath, [CLI, 'start', '--config', file]);
        expect(start.status).toBe(1);
        expect(start.stderr).toContain(
          `cannot lock ${join(readOnlyState, 'carrel.db.lock')}: ${readOnlyState} is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk`,
        );
        expect(start.stderr).not.toContain('chown');
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );

  /** A small tmpfs of its own (as root), or undefined where this machine does not allow one. */
  function smallDisk(): string | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const mountpoint = mkdtempSync(join(tmpdir(), 'carrel-small-disk-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountpoint]).status === 0)
      return mountpoint;
    rmSync(mountpoint, { recursive: true, force: true });
    return undefined;
  }
  const probe = smallDisk();
  if (probe) {
    spawnSync('umount', [probe]);
    rmSync(probe, { recursive: true, force: true });
  }

  it.runIf(probe !== undefined)('on a full disk, does not start and says the disk is full', () => {
    const disk = smallDisk()!;
    try {
      const path = join(disk, 'carrel.db');
      openDatabase(path).close();
      takeInstanceLock(path).release();
      // Fill what is left.
      try {
        writeFileSync(join(disk, 'filler'), Buffer.alloc(4 * 1024 * 1024));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      const config = join(dir, 'full-disk.yaml');
      writeFileSync(
        config,
        `version: 2\nhttp: { port: 0 }\nmqtt: { mode: 'off' }\nstorage: { path: ${path} }\n`,
      );
      const full = carrel(['start', '--config', config]);
      expect(full.status).toBe(1);
      expect(full.stderr).toMatch(
        new RegExp(
          `cannot start: storage: cannot open database ${path}: the disk holding ${disk} is full \\(\\d+ KiB free\\): make room on it`,
        ),
      );
    } finally {
      spawnSync('umount', [disk]);
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it('stopped while it starts (a broker slow to answer), stops everything, never says READY, and exits 0', async () => {
    // A broker that takes the connection and does not answer holds the MQTT start (up to 10 s).
    const connections: Socket[] = [];
    const silent = createServer((socket) => {
      connections.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const brokerPort = (silent.address() as { port: number }).port;
    const home = join(dir, 'desk-slow-broker');
    mkdirSync(home);
    const config = join(home, 'carrel.yaml');
    writeFileSync(
      config,
      `version: 2\nhttp: { port: 0 }\nmqtt: { mode: external, url: 'mqtt://127.0.0.1:${brokerPort}' }\nstorage: { path: ${join(home, 'carrel.db')} }\n`,
    );
    const socketPath = join(home, 'notify.sock');
    const notify = new FakeNotifySocket(socketPath);
    const child = spawn(process.execPath, [CLI, 'start', '--config', config], {
      cwd: home,
      env: { ...process.env, NOTIFY_SOCKET: socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const log = said(child.stdout);
      const banner = said(child.stderr);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await expect.poll(() => connections.length, { timeout: 15_000 }).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await notify.next()).toBe('STOPPING=1');
      // The stop waits for the start under way: the broker hangs up, which ends it.
      for (const socket of connections) socket.destroy();
      expect(await exited).toBe(0);
      expect(log()).toContain('"msg":"MQTT API stopped"');
      expect(log()).toContain('"msg":"stopped"');
      expect(log()).not.toContain('"msg":"ready"');
      expect(banner()).not.toContain('is running');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      notify.close();
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('at a terminal, stops cleanly on SIGHUP (the terminal closed)', async () => {
    const home = join(dir, 'desk-tty');
    mkdirSync(home);
    const line = `exec ${process.execPath} ${CLI} start --http-port 0 --mqtt-port 0 --log-level info`;
    const script = spawn('script', ['-qec', line, '/dev/null'], {
      cwd: home,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    try {
      let screen = '';
      script.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
      });
      await expect.poll(() => screen, { timeout: 15_000 }).toContain('Stop with Ctrl-C.');
      // script(1)'s child, which `exec` made the carrel process.
      const carrelPid = Number(
        readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim(),
      );
      expect(carrelPid).toBeGreaterThan(0);
      const ended = new Promise<number | null>((resolve) => script.once('close', (code) => resolve(code)));
      process.kill(carrelPid, 'SIGHUP');
      expect(await ended).toBe(0);
      expect(screen).toMatch(/INFO .*stopping/);
      expect(screen).toMatch(/INFO .*stopped/);
    } finally {
      if (script.exitCode === null) script.kill('SIGKILL');
    }
  });

  it('starts the simulated desk, tells systemd READY and WATCHDOG, and on SIGTERM STOPPING and exit 0; its log is one JSON object a line', async () => {
    const socketPath = join(dir, 'notify.sock');
    const notify = new FakeNotifySocket(socketPath);
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [CLI, 'start', '--http-port', '0', '--mqtt-port', '0', '--log-level', 'info'],
        {
          cwd: dir,
          env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '400000' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const banner = said(child.stderr);
      const log = said(child.stdout);
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      expect(await notify.next()).toBe('READY=1');
      expect(await notify.next()).toBe('WATCHDOG=1');
      expect(banner()).toMatch(/API\s+http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
      expect(banner()).toMatch(/simulator\s+printer-sim/);
      const api = /API\s+(http:\/\/\S+)\/api\/v1/.exec(banner())![1];
      expect((await fetch(`${api}/healthz`)).status).toBe(200);
      // The journal says where it serves, as the banner does (a log shipper may read stdout alone).
      const ready = log()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'ready');
      expect(ready).toMatchObject({
        api: `${api}/api/v1`,
        mqtt: expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+$/),
      });

      // A SIGHUP (a logrotate habit, a `kill -HUP` meant as reload) does not end a service.
      child.kill('SIGHUP');
      await expect.poll(log).toContain('SIGHUP ignored: Carrel has no reload');
      expect((await fetch(`${api}/healthz`)).status).toBe(200);

      child.kill('SIGTERM');
      const messages: string[] = [];
      for (;;) {
        const message = await notify.next();
        messages.push(message);
        if (message === 'STOPPING=1') break;
      }
      expect(messages.every((m) => m === 'WATCHDOG=1' || m === 'STOPPING=1')).toBe(true);
      expect(await exited).toBe(0);

      // Log shippers take each line as one JSON document, and some (Elasticsearch) refuse a
      // document that names a field twice: a line must read back exactly as it was written.
      const lines = log().trim().split('\n');
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) expect(JSON.stringify(JSON.parse(line))).toBe(line);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      notify.close();
    }
  });
});
