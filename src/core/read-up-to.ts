import { closeSync, openSync, readSync } from 'node:fs';
import { CarrelError } from './errors.js';

/** A file that holds more than its reader takes. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${formatLimit(maxBytes)}`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * A whole file, refused once it holds more than `maxBytes`: a configured path that is wrong
 * (`/dev/zero`, a log file, a disk image) is an error, not the daemon's memory filled. Read, not
 * stat'ed first: a pipe (`--config <(envsubst < carrel.yaml)`) has no size until it ends.
 */
export function readFileUpTo(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw new FileTooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, read));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** A short reason a file could not be read: "no such file", "permission denied", else its own words. */
export function whyUnreadable(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** A logo is a small PNG; a bigger file is a wrong path. */
export const MAX_LOGO_BYTES = 2 * 1024 * 1024;

/** A configured logo (`what`: "receipt logo", "card logo"), or a `logo_unreadable` error saying why. */
export function readLogoFile(path: string, what: string): Buffer {
  try {
    return readFileUpTo(path, MAX_LOGO_BYTES);
  } catch (error) {
    throw new CarrelError('logo_unreadable', `cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
