import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSqliteExperimentalWarning, withoutWarning } from '../../../src/gateway/storage/node-sqlite.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The warnings emitted while `work` runs, as 'Type: message'. */
async function warningsDuring(work: () => void): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
  process.on('warning', listener);
  try {
    work();
    // process.emitWarning hands the warning over on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe("node:sqlite's experimental warning", () => {
  it('is recognised by its type and its message, nothing else', () => {
    const sqlite = 'SQLite is an experimental feature and might change at any time';
    expect(isSqliteExperimentalWarning(sqlite, 'ExperimentalWarning')).toBe(true);
    expect(isSqliteExperimentalWarning(sqlite, { type: 'ExperimentalWarning' })).toBe(true);
    const vm = 'VM Modules is an experimental feature and might change at any time';
    expect(isSqliteExperimentalWarning(vm, 'ExperimentalWarning')).toBe(false);
    expect(isSqliteExperimentalWarning(sqlite, 'DeprecationWarning')).toBe(false);
    expect(isSqliteExperimentalWarning(sqlite)).toBe(false);
  });

  it('is held back while node:sqlite loads; every other warning still goes out', async () => {
    const seen = await warningsDuring(() =>
      withoutWarning(isSqliteExperimentalWarning, () => {
        process.emitWarning(
          'SQLite is an experimental feature and might change at any time',
          'ExperimentalWarning',
        );
        process.emitWarning(
          'SQLite is an experimental feature and might change at any time',
          'DeprecationWarning',
        );
        process.emitWarning('the printer is low on paper');
      }),
    );
    expect(seen).toEqual([
      'DeprecationWarning: SQLite is an experimental feature and might change at any time',
      'Warning: the printer is low on paper',
    ]);
  });

  it('is held back only while loading: afterwards the same warning goes out', async () => {
    withoutWarning(isSqliteExperimentalWarning, () => {});
    const seen = await warningsDuring(() =>
      process.emitWarning(
        'SQLite is an experimental feature and might change at any time',
        'ExperimentalWarning',
      ),
    );
    expect(seen).toHaveLength(1);
  });

  // On Node 22 this is the real thing; Node 24 no longer warns and Node 20 has no node:sqlite.
  it('never reaches the stderr of a process that opens the database; other experimental warnings do (dist/)', () => {
    const script = `
      const { openDatabase } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/gateway/storage/index.js'))});
      const db = openDatabase(':memory:');
      console.log(db.backend);
      db.close();
      process.emitWarning('VM Modules is an experimental feature and might change at any time', 'ExperimentalWarning');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toMatch(/^(node:sqlite|better-sqlite3)$/);
    expect(child.stderr).not.toContain('SQLite');
    expect(child.stderr).toContain('ExperimentalWarning: VM Modules is an experimental feature');
  });
});
