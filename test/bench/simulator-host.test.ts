/**
 * bench/simulator-host (built, dist/) holds simulators for a gateway in another process and says
 * where they listen in its first stdout line, which bench/external-desk.ts reads as JSON: what
 * the simulators log goes to stderr, never to stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';

const HOST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/bench/simulator-host.js');

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    await exited;
  }
});

describe('the bench simulator host', () => {
  it('writes only the addresses on stdout; a simulator’s log goes to stderr', async () => {
    const simulators = [{ id: 'ils-sim', kind: 'ils', host: '127.0.0.1', port: 0, httpPort: 0 }];
    const child = spawn(process.execPath, [HOST, JSON.stringify(simulators)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const first = await until(() =>
      stdout.includes('\n') ? stdout.slice(0, stdout.indexOf('\n')) : undefined,
    );
    const { port } = (JSON.parse(first) as Record<string, { port: number }>)['ils-sim']!;
    // A frame the ILS simulator cannot read: it logs a warning.
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.write('this is not SIP2\r');
    await until(
      () => (`${stdout}${stderr}`.includes('unreadable SIP2 request') ? true : undefined),
      10_000,
      'the warning',
    );
    socket.destroy();
    expect(JSON.parse(stderr.split('\n')[0]!)).toMatchObject({
      level: 'warn',
      msg: 'unreadable SIP2 request',
    });
    expect(stdout).toBe(`${first}\n`);
  });
});
