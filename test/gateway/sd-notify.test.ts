import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { notifySocketAddress, SystemdNotifier, watchdogIntervalMs } from '../../src/gateway/sd-notify.js';
import { FakeNotifySocket } from '../helpers/notify-socket.js';

interface LogLine {
  level: 'warn' | 'debug';
  text: string;
}
function recordingLogger() {
  const lines: LogLine[] = [];
  const write = (level: LogLine['level']) => (first: unknown, second?: unknown) => {
    lines.push({ level, text: typeof first === 'string' ? first : String(second) });
  };
  return { lines, logger: { warn: write('warn'), debug: write('debug') } as never };
}

let dir: string;
let socket: FakeNotifySocket;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-notify-'));
  socket = new FakeNotifySocket(join(dir, 'notify.sock'));
});
afterEach(() => {
  socket.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SystemdNotifier', () => {
  it('sends READY=1, STATUS, WATCHDOG=1 at half the interval and STOPPING=1', async () => {
    const clock = new ManualClock();
    const { logger, lines } = recordingLogger();
    const notifier = SystemdNotifier.fromEnv(
      { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid) },
      clock,
      logger,
    );
    expect(notifier.enabled).toBe(true);
    expect(notifier.watchdogIntervalMs).toBe(100);

    notifier.ready();
    expect(await socket.next()).toBe('READY=1');
    notifier.status('2 devices online\nILS reachable');
    expect(await socket.next()).toBe('STATUS=2 devices online ILS reachable');

    expect(notifier.startWatchdog()).toBe(true);
    expect(clock.pending()).toEqual(['systemd-watchdog']);
    await clock.advance(99);
    notifier.status('marker'); // datagrams arrive in order: no ping may come before this
    expect(await socket.next()).toBe('STATUS=marker');
    await clock.advance(1);
    expect(await socket.next()).toBe('WATCHDOG=1');
    await clock.advance(100);
    expect(await socket.next()).toBe('WATCHDOG=1');

    notifier.stopping();
    expect(await socket.next()).toBe('STOPPING=1');
    notifier.close();
    expect(clock.pending()).toEqual([]);
    notifier.ready(); // after close: nothing sent
    notifier.status('after close');
    expect(notifier.enabled).toBe(false);
    expect(lines).toEqual([]);
  });

  it('stopWatchdog stops the pings', async () => {
    const clock = new ManualClock();
    const notifier = SystemdNotifier.fromEnv(
      { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000' },
      clock,
      recordingLogger().logger,
    );
    notifier.startWatchdog();
    await clock.advance(500);
    expect(await socket.next()).toBe('WATCHDOG=1');
    notifier.stopWatchdog();
    await clock.advance(5000);
    notifier.status('end');
    expect(await socket.next()).toBe('STATUS=end');
  });

  it('is a no-op without NOTIFY_SOCKET', () => {
    const clock = new ManualClock();
    const notifier = SystemdNotifier.fromEnv({ WATCHDOG_USEC: '200000' }, clock, recordingLogger().logger);
    expect(notifier.enabled).toBe(false);
    expect(notifier.startWatchdog()).toBe(false);
    notifier.ready();
    expect(clock.pending()).toEqual([]);
  });

  it('runs no watchdog when systemd set none, or set it for another process', () => {
    const clock = new ManualClock();
    const logger = recordingLogger().logger;
    expect(SystemdNotifier.fromEnv({ NOTIFY_SOCKET: socket.path }, clock, logger).startWatchdog()).toBe(
      false,
    );
    const other = {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: '200000',
      WATCHDOG_PID: String(process.pid + 1),
    };
    expect(SystemdNotifier.fromEnv(other, clock, logger).startWatchdog()).toBe(false);
    expect(clock.pending()).toEqual([]);
  });

  it('warns once when systemd is gone, and keeps going', async () => {
    const clock = new ManualClock();
    const { logger, lines } = recordingLogger();
    const notifier = SystemdNotifier.fromEnv(
      { NOTIFY_SOCKET: join(dir, 'nobody-listens.sock'), WATCHDOG_USEC: '200000' },
      clock,
      logger,
    );
    notifier.ready();
    notifier.startWatchdog();
    await clock.advance(300);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', text: expect.stringMatching(/^systemd notify: cannot send READY: /) },
    ]);
    expect(lines.filter((l) => l.level === 'debug').length).toBe(3);
    notifier.close();
  });

  it('warns and runs without notify for an abstract socket, which unix-dgram cannot reach', () => {
    const { logger, lines } = recordingLogger();
    const notifier = SystemdNotifier.fromEnv({ NOTIFY_SOCKET: '@carrel-test' }, new ManualClock(), logger);
    expect(notifier.enabled).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toMatch(/abstract socket/);
  });
});

describe('notify helpers', () => {
  it('maps @name to an abstract address with a leading NUL', () => {
    expect(notifySocketAddress('@/org/freedesktop/systemd1/notify')).toEqual({
      address: '\0/org/freedesktop/systemd1/notify',
      abstract: true,
    });
    expect(notifySocketAddress('/run/systemd/notify')).toEqual({
      address: '/run/systemd/notify',
      abstract: false,
    });
  });

  it('pings at half of WATCHDOG_USEC, for this process only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000' }, 42)).toBe(10_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '42' }, 42)).toBe(10_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
  });
});

describe('SystemdNotifier in a child process', () => {
  const srcDir = new URL('../../src/', import.meta.url).pathname;
  const nodeModules = new URL('../../node_modules', import.meta.url).pathname;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
  });

  /** Transpiles sd-notify.ts and what it imports at run time into a standalone ES module tree. */
  function buildChild(withNodeModules: boolean): string {
    const out = join(dir, 'child');
    for (const file of ['gateway/sd-notify', 'core/native', 'core/errors']) {
      const { outputText } = ts.transpileModule(readFileSync(join(srcDir, `${file}.ts`), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      mkdirSync(dirname(join(out, file)), { recursive: true });
      writeFileSync(join(out, `${file}.js`), outputText);
    }
    writeFileSync(join(out, 'package.json'), '{"type": "module"}\n');
    if (withNodeModules) symlinkSync(nodeModules, join(out, 'node_modules'), 'dir');
    writeFileSync(
      join(out, 'main.mjs'),
      `import { SystemdNotifier } from './gateway/sd-notify.js';
const clock = {
  setInterval(name, callback, ms) { const h = setInterval(callback, ms); return { name, cancel: () => clearInterval(h) }; },
};
const logger = { warn: (m) => console.error('warn: ' + m), debug() {} };
const notifier = SystemdNotifier.fromEnv(process.env, clock, logger);
const keepAlive = setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  notifier.stopping();
  notifier.close();
  clearInterval(keepAlive);
});
notifier.ready();
notifier.status('child ' + process.pid);
console.log(JSON.stringify({ enabled: notifier.enabled, watchdog: notifier.startWatchdog() }));
`,
    );
    return join(out, 'main.mjs');
  }

  function start(
    main: string,
    env: NodeJS.ProcessEnv,
  ): { child: ChildProcess; stdout: Promise<string>; stderr: () => string } {
    const started = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH, ...env },
      stdio: 'pipe',
    });
    child = started;
    let err = '';
    started.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const stdout = once(started.stdout!, 'data').then(([chunk]) => (chunk as Buffer).toString().trim());
    return { child: started, stdout, stderr: () => err };
  }

  it('reports READY, STATUS, WATCHDOG and STOPPING from another process', async () => {
    const run = start(buildChild(true), { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '200000' });
    expect(await socket.next()).toBe('READY=1');
    expect(await socket.next()).toBe(`STATUS=child ${run.child.pid}`);
    expect(JSON.parse(await run.stdout)).toEqual({ enabled: true, watchdog: true });
    expect(await socket.next()).toBe('WATCHDOG=1');
    expect(await socket.next()).toBe('WATCHDOG=1');
    const exited = once(run.child, 'exit');
    run.child.kill('SIGTERM');
    let message = await socket.next();
    while (message === 'WATCHDOG=1') message = await socket.next();
    expect(message).toBe('STOPPING=1');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(run.stderr()).toBe('');
  });

  it('logs one line and runs on when unix-dgram cannot be loaded', async () => {
    const run = start(buildChild(false), { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '200000' });
    expect(JSON.parse(await run.stdout)).toEqual({ enabled: false, watchdog: false });
    run.child.kill('SIGTERM');
    const [code] = await once(run.child, 'exit');
    expect(code).toBe(0);
    expect(run.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^warn: systemd notify disabled: native module 'unix-dgram' \(needed for systemd notify\) could not be loaded: it is not installed/,
      ),
    ]);
  });
});
