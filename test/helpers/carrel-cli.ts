import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built `carrel` command (`npm run build` first; `npm test` does). */
export const CARREL_CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/src/cli/main.js',
);

export interface CarrelRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `carrel <args>` to its end without blocking this process's event loop (a desk or broker
 * the test runs in this process goes on meanwhile, as spawnSync would not let it).
 */
export function runCarrel(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CarrelRun> {
  const child = spawn(process.execPath, [CARREL_CLI, ...args], {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
