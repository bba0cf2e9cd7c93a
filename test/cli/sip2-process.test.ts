/**
 * The built `carrel sip2` as a process, against the ILS simulator over real TCP:
 * the exit statuses a script sees, `--help`, and the shell at a terminal (a pty
 * made by script(1)), where it prompts on stderr and keeps PINs out of its history.
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';

/** The built `carrel` command (npm test builds before it runs the tests). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

let simulator: IlsSimulator;
beforeAll(async () => {
  simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
});
afterAll(() => simulator.close());

const connection = () => ['--host', '127.0.0.1', '--port', String(simulator.port)];
const login = ['--user', 'kiosk1', '--password', 'kiosk1pw'];

/**
 * Runs the built CLI without blocking this process's event loop (the simulator answers it); one
 * still running after 15 s is killed (status null).
 */
function carrel(
  command: string,
  args: string[],
  input = '',
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', () => clearTimeout(timer));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** script(1) with `args`, each of `lines` typed once one more `sip2> ` prompt has appeared; input ends after the last. */
function typed(args: string[], lines: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    let sent = 0;
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      const prompts = stdout.split('sip2> ').length - 1;
      while (sent < lines.length && sent < prompts) child.stdin.write(`${lines[sent++]}\n`);
      if (sent === lines.length && child.stdin.writable) child.stdin.end();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

const sip2 = (args: string[], input?: string, env?: NodeJS.ProcessEnv) =>
  carrel(process.execPath, [CLI, 'sip2', ...args], input, env);

describe('carrel sip2, the process', () => {
  it('--help lists the exit statuses', () => {
    const help = spawnSync(process.execPath, [CLI, 'sip2', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /exit status:\n {2}0 .*\n {2}1 .*refused.*\n(.*\n)* {2}2 {2}bad usage\n {2}3 {2}no answer/,
    );
  });

  it('exits 0, 1, 2 and 3 as the help says', async () => {
    expect((await sip2([...connection(), ...login, 'item-info', '31000001'])).status).toBe(0);
    expect((await sip2([...connection(), ...login, 'patron-status', '29999999'])).status).toBe(1);
    const usage = await sip2([...connection(), ...login, 'checkout', 'P']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('expected 2 argument(s)');
    const unreachable = await sip2(['--host', '127.0.0.1', '--port', '1', 'status']);
    expect(unreachable.status).toBe(3);
    expect(JSON.parse(unreachable.stdout).error.code).toBe('econnrefused');
  });

  it('the shell with a pipe: one JSON line per answer, the last status as its own', async () => {
    const { status, stdout } = await sip2(
      [...connection(), ...login, 'shell'],
      'item-info 31000001\npatron-status 29999999\n',
    );
    expect(status).toBe(1);
    const answers = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers.map((answer) => answer.command)).toEqual(['item-info', 'patron-status']);
  });

  it('--save-history where no folder can be made (XDG_STATE_HOME under /proc): the shell goes on, and says why in words', async () => {
    const state = `/proc/carrel-sip2-state-${process.pid}`;
    const { status, stdout, stderr } = await sip2(
      [...connection(), ...login, 'shell', '--save-history'],
      'item-info 31000001\nitem-info 31000001\n',
      { ...process.env, XDG_STATE_HOME: state },
    );
    // Not hung making the folder (killed: status null), and every command answered.
    expect(status).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).command),
    ).toEqual(['item-info', 'item-info']);
    // Said once, with why: /proc takes no files, not a bare "not saved".
    expect(stderr).toBe(
      `sip2: history not saved to ${state}/carrel/sip2-history: cannot make ${state}: /proc takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk\n`,
    );
  }, 30_000);

  it('the shell at a terminal: a prompt, the answers, and a history without PINs', async () => {
    const line = [process.execPath, CLI, 'sip2', ...connection(), ...login, 'shell'].join(' ');
    // Typed as a person types: each line once the prompt before it is shown. Written all at once,
    // the lines raced the shell's start and script(1)'s handling of the end of its input.
    const { status, stdout } = await typed(
      ['-qec', line, '/dev/null'],
      ['patron-info 21000001 --pin 1234', 'history', 'quit'],
    );
    expect(status).toBe(0);
    expect(stdout).toContain('sip2> ');
    expect(stdout).toMatch(/\{"command":"patron-info","message":\{"type":"patronInformationResponse"/);
    expect(stdout).toMatch(/ {4}1 {2}patron-info 21000001 --pin \*\*\*\r?\n/);
  });
});
