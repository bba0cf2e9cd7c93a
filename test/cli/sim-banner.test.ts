/**
 * `carrel sim <kind>` (the built command, dist/) as a script starts it: it reads where the
 * simulator listens from stdout, so stdout is the banner and nothing else, and the log goes to
 * stderr — one JSON object a line when stderr is a pipe, lines for a person at a terminal (a pty
 * made by script(1)). A script that stops it as soon as its banner is out has it closed, exit 0.
 * Every simulator listens on ports the system gives it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_FAMILIES } from '../../src/app/families.js';
import { CARREL_CLI } from '../helpers/carrel-cli.js';
import { until } from '../helpers/until.js';

/** The gate simulator dials a gate listener: this one takes its connection and holds it. */
let gateListener: Server;
const held: Socket[] = [];
beforeAll(async () => {
  gateListener = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => gateListener.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => gateListener.close(() => resolve()));
});

/** Each kind's options to listen where the system says. */
function portOptions(kind: string): string[] {
  if (kind === 'gate') {
    const { port } = gateListener.address() as { port: number };
    return ['--port', String(port), '--command-port', '0', '--http-port', '0'];
  }
  if (kind === 'print-server') return ['--port', '0'];
  return ['--port', '0', '--http-port', '0'];
}

/** What each kind logs as it starts (at info), where it logs something then. */
const LOGGED_AT_START: Record<string, string> = {
  ils: 'ILS simulator listening',
  printer: 'printer powered on',
};

/**
 * Starts `carrel sim <kind>` with stdout and stderr piped and stops it (SIGTERM) as soon as its
 * banner begins, as a script that only wanted to know it runs: its whole banner is out by then.
 */
async function simulatorOutput(
  kind: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CARREL_CLI, 'sim', kind, ...portOptions(kind)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdout.once('data', () => child.kill('SIGTERM'));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const late = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    return { code: await closed, stdout, stderr };
  } finally {
    clearTimeout(late);
  }
}

describe('carrel sim <kind>, read by a script (stdout and stderr not terminals)', () => {
  for (const family of SIMULATOR_FAMILIES) {
    it(`${family.kind}: stdout is its banner alone, its log JSON lines on stderr; stopped at once, it closes (exit 0)`, async () => {
      const { code, stdout, stderr } = await simulatorOutput(family.kind);
      expect(code, stderr).toBe(0);
      const printed = stdout.split('\n').filter((line) => line !== '');
      expect(printed.length).toBeGreaterThan(0);
      // Where it listens, with a port of the system's choosing.
      expect(stdout).toMatch(/(tcp|http|ipp):\/\/127\.0\.0\.1:\d+/);
      for (const line of printed) expect(line, 'a log line on stdout').not.toMatch(/^\{/);
      const logged = stderr
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { service: string; msg: string });
      for (const entry of logged) expect(entry.service).toBe('carrel');
      const atStart = LOGGED_AT_START[family.kind];
      if (atStart) expect(logged.map((entry) => entry.msg)).toContain(atStart);
    }, 30_000);
  }
});

describe('carrel sim at a terminal (script(1))', () => {
  it('shows its banner, and its log as lines a person reads, not JSON', async () => {
    const line = `exec ${process.execPath} ${CARREL_CLI} sim printer --port 0 --http-port 0`;
    const script = spawn('script', ['-qec', line, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    try {
      let screen = '';
      script.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString('utf8');
      });
      await until(
        () =>
          /INFO .*printer powered on/.test(screen) && /tcp:\/\/127\.0\.0\.1:\d+/.test(screen)
            ? true
            : undefined,
        20_000,
        `the printer simulator's banner and log at a terminal: ${screen}`,
      );
      expect(screen).not.toContain('"msg":');
      // script(1)'s child, which `exec` made the carrel process: stopped as a person's Ctrl-C would.
      const simulator = Number(
        readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim(),
      );
      const ended = new Promise<number | null>((resolve) => script.once('close', (code) => resolve(code)));
      process.kill(simulator, 'SIGINT');
      expect(await ended).toBe(0);
    } finally {
      if (script.exitCode === null) script.kill('SIGKILL');
    }
  }, 30_000);
});
