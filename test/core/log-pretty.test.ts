import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../src/core/log-pretty.js';
import { createLogger } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, destination };
}

describe('human-readable logs for a person at a terminal', () => {
  it('reads time, level, where and message first, then the other fields', () => {
    expect(
      prettyLine(
        '{"level":"warn","time":"2026-12-02T21:05:03.123Z","service":"carrel","module":"supervisor","device":"receipt-1","code":"econnreset","attempt":2,"msg":"device disconnected"}',
      ),
    ).toBe('21:05:03.123 WARN  supervisor receipt-1  device disconnected code=econnreset attempt=2');
    expect(prettyLine('not json at all')).toBe('not json at all');
  });

  it('censors patron data as the JSON log does (redaction comes before formatting)', async () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, format: 'pretty' });
    logger.info({ pin: '4321', patronId: '23000000012345', device: 'ils' }, 'patron looked up');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}ils {2}patron looked up pin=\[redacted] patronId=\[redacted]$/,
    );
  });

  it('stays JSON when format is json, or auto and written elsewhere than a terminal', () => {
    for (const format of ['json', 'auto'] as const) {
      const { lines, destination } = capture();
      createLogger({ destination, format }).info('hello');
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'hello' });
    }
  });

  it('is what `carrel start` writes on a terminal (a pseudo-terminal by script(1)), and JSON through a pipe', async () => {
    const state = mkdtempSync(join(tmpdir(), 'carrel-log-'));
    const run = async (viaTerminal: boolean) => {
      const command = 'node dist/src/cli/main.js start --http-port 0 --mqtt-port 0';
      const options = { cwd: process.cwd(), detached: true, env: { ...process.env, STATE_DIRECTORY: state } };
      const child = viaTerminal
        ? spawn('script', ['-qfec', command, '/dev/null'], options)
        : spawn('sh', ['-c', `exec ${command}`], options);
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
      });
      const deadline = performance.now() + 20_000;
      while (!/"msg":"ready"| INFO {2}ready /.test(out) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      // The whole group: script(1) and the daemon under it.
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      return out.split(/\r?\n/).filter((line) => line.includes('INFO') || line.includes('"level"'));
    };
    const terminal = await run(true);
    expect(terminal.length).toBeGreaterThan(0);
    expect(terminal.some((line) => /^\d\d:\d\d:\d\d\.\d{3} INFO /.test(line))).toBe(true);
    expect(terminal.some((line) => line.startsWith('{'))).toBe(false);
    const piped = await run(false);
    expect(piped.length).toBeGreaterThan(0);
    for (const line of piped) expect(JSON.parse(line)).toHaveProperty('level');
    rmSync(state, { recursive: true, force: true });
  }, 60_000);
});
