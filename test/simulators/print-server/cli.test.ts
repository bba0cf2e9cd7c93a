/**
 * `carrel sim print-server` as a person runs it: the compiled CLI (dist/, so
 * `npm run build` first) on a free port, its banner saying where the IPP queue
 * and the control API are; a job submitted through the control API as a PC
 * would is held, listed over IPP, released over IPP and printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { IppClient } from '../../../src/devices/print-queue/ipp-client.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

let child: ChildProcess | undefined;
let queueUrl: string;
let control: string;

function startCli(): Promise<{ queueUrl: string; control: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [CLI, 'sim', 'print-server', '--port', '0', '--page-ms', '1', '--queue', 'public-bw'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    child = proc;
    let ipp: string | undefined;
    const timer = setTimeout(
      () => reject(new Error('carrel sim print-server did not start in 10 s')),
      10_000,
    );
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      ipp ??= /IPP\s+(ipp:\/\/\S+)/.exec(line)?.[1];
      const api = /control\s+(http:\/\/\S+)\/api\/jobs/.exec(line)?.[1];
      if (api && ipp) {
        clearTimeout(timer);
        resolve({ queueUrl: ipp, control: api });
      }
    });
    proc.stderr!.resume();
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`carrel sim print-server exited (${code ?? signal})`));
    });
  });
}

describe('carrel sim print-server', () => {
  beforeAll(async () => {
    ({ queueUrl, control } = await startCli());
  }, 15_000);

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('holds a job a PC sent, and prints it when it is released over IPP', async () => {
    expect(queueUrl).toMatch(/^ipp:\/\/127\.0\.0\.1:\d+\/printers\/public-bw$/);
    const submitted = await fetch(`${control}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: '21000001', title: 'Essay', pages: 2 }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: number };
    const client = new IppClient(new IppHttpTransport({ url: queueUrl, clock: systemClock }));
    const held = (await client.jobs('not-completed')).find((job) => job.id === id);
    expect(held).toMatchObject({ state: 'pending-held', owner: '21000001', name: 'Essay' });
    await client.release(id);
    const deadline = performance.now() + 10_000;
    let job = await client.job(id);
    while (job.state !== 'completed' && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await client.job(id);
    }
    expect(job).toMatchObject({ state: 'completed', impressionsCompleted: 2 });
  });
});
