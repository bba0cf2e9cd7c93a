/**
 * For the SIGKILL tests: a child script run on the built code (dist/), killed at a chosen point
 * of what it prints, and the check that dist/ is there and no older than its sources. The children
 * are TypeScript beside their tests (`*-child.ts`), type-checked with the rest and compiled by
 * `npm run build` into dist/test/.
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

/** The built script of a child beside a test: `builtChild(import.meta.url, 'x-child')` is dist/test/…/x-child.js. */
export function builtChild(testUrl: string, name: string): string {
  const folder = path.relative(ROOT, path.dirname(fileURLToPath(testUrl)));
  return path.join(ROOT, 'dist', folder, `${name}.js`);
}

/**
 * Throws unless every source file of these folders, and these single files (paths relative to the
 * repository), is built and current in dist/.
 */
export async function assertBuilt(sources: readonly string[]): Promise<void> {
  for (const source of sources) {
    const files = statSync(path.join(ROOT, source)).isDirectory()
      ? (await readdir(path.join(ROOT, source))).map((file) => path.join(source, file))
      : [source];
    for (const file of files) {
      const built = path.join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.join(ROOT, file)).mtimeMs)
        throw new Error(`${built} is missing or stale: run \`npm run build\` first`);
    }
  }
}
