import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { writeDaemonConfig } from '../helpers/carrel-daemon.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('daemon V8 flags', () => {
  const env = Object.entries(DAEMON_ENV)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const command = `${env} node ${DAEMON_NODE_FLAGS.join(' ')}`;

  it('are the same in the carrel shebang, npm start, the systemd unit and the benchmark', () => {
    expect(read('src/cli/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S ${command}`);
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(start).toContain(`${command} dist/src/cli/main.js start`);
    const unit = read('systemd/carrel.service');
    for (const [name, value] of Object.entries(DAEMON_ENV))
      expect(unit).toContain(`Environment=${name}=${value}`);
    for (const bench of ['bench/desk.ts', 'bench/circulation.ts']) {
      expect(read(bench)).toContain('...DAEMON_NODE_FLAGS');
      expect(read(bench)).toContain('...DAEMON_ENV');
    }
  });
});

describe('the packaged /usr/bin/carrel (packaging/deb/carrel)', () => {
  it('starts the daemon with the same V8 flags and environment as the shebang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-wrapper-'));
    // The wrapper as the package installs it, pointed at this checkout's dist/ instead of /usr/lib/carrel.
    const wrapper = join(dir, 'carrel');
    writeFileSync(
      wrapper,
      read('packaging/deb/carrel').replaceAll(
        '/usr/lib/carrel/',
        `${fileURLToPath(new URL('../../', import.meta.url))}`,
      ),
    );
    expect(readFileSync(wrapper, 'utf8')).not.toContain('/usr/lib/carrel/');
    const config = writeDaemonConfig(dir, 'desk-wrapper', {});
    const env: NodeJS.ProcessEnv = { ...process.env, CARREL_NODE: process.execPath, LOG_LEVEL: 'warn' };
    for (const name of Object.keys(DAEMON_ENV)) delete env[name];
    const child = spawn('sh', [wrapper, 'start', '--config', config], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/API\s+http:/.test(stderr)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`carrel exited ${code}: ${stderr}`)));
      });
      // The wrapper execs node: the daemon is the child itself, seen as `ps` and systemd see it.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv[0]).toBe(process.execPath);
      const cli = argv.findIndex((arg) => arg.endsWith('dist/src/cli/main.js'));
      expect(argv.slice(1, cli)).toEqual(DAEMON_NODE_FLAGS);
      const environment = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(DAEMON_ENV))
        expect(environment).toContain(`${name}=${value}`);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
