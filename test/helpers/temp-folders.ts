import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Fresh folders under the system's temporary folder, named `prefix` and six random characters, for
 * the test file that calls this at its top level: each one made is removed, with all in it, once
 * the file's (or the calling block's) tests have run. Make them in a test or a hook, not as the file
 * or a block is read: the removal runs only where a test ran, and a block skipped or filtered out
 * (-t) would leave behind a folder made on reading it. A database in one is closed by its test
 * first (SQLite on Linux would let the folder go under an open one, but a test should not leave it
 * open).
 */
export function tempFolders(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    made.push(folder);
    return folder;
  };
}
