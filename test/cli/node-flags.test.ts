import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('daemon V8 flags', () => {
  it('are the same in the carrel shebang, npm start and the benchmark', () => {
    const shebang = read('src/cli/main.ts').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(start).toContain(`node ${DAEMON_NODE_FLAGS.join(' ')} dist/src/cli/main.js start`);
    expect(read('bench/desk.ts')).toContain('...DAEMON_NODE_FLAGS');
  });
});
