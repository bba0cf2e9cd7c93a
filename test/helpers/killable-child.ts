/**
 * For the SIGKILL tests: a child script run on the built code (dist/), killed at a chosen point
 * of what it prints, and the check that dist/ is there and no older than its sources.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildRun {
  /** Every line the child printed on stdout, the ones after the kill signal included. */
  lines: string[];
  killed: boolean;
}

/**
 * Runs `node script ...args` until it exits, SIGKILLing it when `killWhen` first says so of a
 * line it printed. Resolves when it exited 0 or was killed; rejects with its stderr otherwise.
 */
export function runKillableChild(
  script: string,
  args: string[],
  killWhen: (line: string) => boolean,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (!killed && killWhen(line)) killed = child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ lines, killed: killed || signal === 'SIGKILL' });
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** Throws unless every source file of these folders (relative to the repository) is built and current in dist/. */
export async function assertBuilt(folders: readonly string[]): Promise<void> {
  for (const folder of folders) {
    for (const file of await readdir(path.join(ROOT, folder))) {
      const built = path.join(ROOT, 'dist', folder, file.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.join(ROOT, folder, file)).mtimeMs)
        throw new Error(`${built} is missing or stale: run \`npm run build\` first`);
    }
  }
}
