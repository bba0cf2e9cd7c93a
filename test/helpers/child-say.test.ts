import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt } from './killable-child.js';

const built = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/test/helpers/child-say.js',
);

beforeAll(() => assertBuilt(['test/helpers/child-say.ts']));

/**
 * A SIGKILL test's child printing faster than its busy parent reads (a CI run failed so: the
 * child's write of an acknowledgement threw EAGAIN on a full pipe and the child died).
 */
it('a child prints every line whole though its parent reads nothing for a second', async () => {
  const script = [
    `const { say } = await import(${JSON.stringify(built)});`,
    'process.stdout;', // as a logger would, which makes the pipe non-blocking
    `for (let i = 0; i < 5000; i++) say('line ' + i + ' ' + 'x'.repeat(60));`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdout.resume();
  const code = await closed;
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = Buffer.concat(chunks).toString().split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(5000);
  expect(lines.every((line, i) => line === `line ${i} ${'x'.repeat(60)}`)).toBe(true);
});
