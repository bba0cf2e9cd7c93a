/**
 * `carrel sim card-printer --model magicard` as a person runs it: the compiled CLI (dist/, so
 * `npm run build` first) on free ports, its banner naming a Magicard, and the Magicard driver
 * reading its serial and ribbon over TCP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MagicardPrinter } from '../../../src/devices/card-printer/magicard-printer.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGTERM');
});

function start(args: string[]): Promise<{ banner: string[]; port: number }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'sim', 'card-printer', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    child = proc;
    const banner: string[] = [];
    const timer = setTimeout(
      () => reject(new Error('carrel sim card-printer did not start in 10 s')),
      10_000,
    );
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      banner.push(line);
      const control = /control\s+http:/.test(line);
      const port = banner.map((l) => /commands tcp:\/\/[\d.]+:(\d+)/.exec(l)?.[1]).find(Boolean);
      if (control && port) {
        clearTimeout(timer);
        resolve({ banner, port: Number(port) });
      }
    });
    proc.stderr!.resume();
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`carrel sim card-printer exited (${code ?? signal})`));
    });
  });
}

describe('carrel sim card-printer --model magicard', () => {
  it('plays a Magicard the Magicard driver reads', async () => {
    const { banner, port } = await start(['--model', 'magicard', '--port', '0', '--http-port', '0']);
    expect(banner[0]).toMatch(/Magicard/);
    const printer = new MagicardPrinter({
      id: 'cards-2',
      transport: new TcpTransport({ host: '127.0.0.1', port }),
      clock: systemClock,
      logger: silentLogger(),
      statusIntervalMs: 1000,
      replyTimeoutMs: 2000,
      ribbonLowPanels: 20,
      printTimeoutMs: 5000,
    });
    await printer.connect();
    expect(printer.status()).toMatchObject({ serial: 'MC0001234', ribbon: { panelsLeft: 1000 } });
    await printer.disconnect();
  }, 20_000);
});
