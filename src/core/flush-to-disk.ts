import { closeSync, fsyncSync, openSync } from 'node:fs';

/**
 * Flushes a file, or a directory (after a rename in it), to the disk: what a backup or a restore
 * has written is there after a power cut before its name says it is whole.
 */
export function flushToDisk(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
