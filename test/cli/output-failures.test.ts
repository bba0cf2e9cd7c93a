/**
 * Where a command's output cannot go: a schema file in a folder that does not exist, or a pipe the
 * reader closed (`carrel doctor | head -3`). IT staff get one plain
 * line, or nothing more at all for a closed pipe — never Node's stack trace.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CARREL_CLI, runCarrel } from '../helpers/carrel-cli.js';
import { tempFolders } from '../helpers/temp-folders.js';

/** The simulated desk, whatever this shell's CARREL_CONFIG says. */
function withoutConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CARREL_CONFIG: _config, ...rest } = env;
  return rest;
}

const STACK = /\n\s+at |Unhandled 'error' event|node:internal/;

describe('carrel, when its output cannot be written', () => {
  const newFolder = tempFolders('carrel-output-');
  let dir: string;
  beforeAll(() => {
    dir = newFolder();
  });

  it('config schema into a folder that does not exist: one line saying so, exit 1', async () => {
    const target = join(dir, 'no-such-folder', 'carrel.schema.json');
    const run = await runCarrel(['config', 'schema', target]);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr.trim()).toBe(
      `carrel: cannot write ${target}: no such folder (${join(dir, 'no-such-folder')})`,
    );
    expect(run.code).toBe(1);
  });

  it('doctor into a pipe its reader closed after the first line (| head -1): ends quietly', async () => {
    const child = spawn(process.execPath, [CARREL_CLI, 'doctor', '--timeout', '5'], {
      cwd: dir,
      env: withoutConfig(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // As `head -1` does: read the first line, then close the pipe; doctor has more checks to print.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code, signal] = await once(child, 'exit');
    expect(stderr).not.toMatch(STACK);
    expect(stderr).toBe('');
    // What a shell reports for a command ended by its closed pipe (128 + SIGPIPE).
    expect({ code, signal }).toEqual({ code: 141, signal: null });
  }, 60_000);

  // A pipe closed before anything was written, so that the first write already finds it gone.
  it.each(['help', '--help', '--version', 'help doctor', 'sip2 --help'])(
    'carrel %s into a pipe its reader already closed: ends quietly',
    async (line) => {
      const child = spawn(process.execPath, [CARREL_CLI, ...line.split(' ')], {
        cwd: dir,
        env: withoutConfig(process.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code, signal] = await once(child, 'exit');
      expect(stderr).not.toMatch(STACK);
      expect(stderr).toBe('');
      expect({ code, signal }).toEqual({ code: 141, signal: null });
    },
  );
});
