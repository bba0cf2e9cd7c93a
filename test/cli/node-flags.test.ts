import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';

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
