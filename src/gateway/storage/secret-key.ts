import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/** How long a key is: 256 bits, an HMAC-SHA-256 key's own size. */
export const SECRET_KEY_BYTES = 32;

/**
 * The key kept in the file at `path`, made on first use: random, readable by Carrel's user alone
 * (0600), apart from the database so that a copy of the database (a backup sent for support) holds
 * nothing that opens what is hashed under it. A file that is not a key (cut short by a power cut
 * as it was made) is replaced by a new one; what was hashed under the old one then matches nothing.
 */
export function secretKeyAt(path: string): Buffer {
  const kept = readKey(path);
  if (kept !== undefined) return kept;
  const key = randomBytes(SECRET_KEY_BYTES);
  // Written whole beside it, then renamed over: never a key half written under its name.
  const partial = `${path}.${process.pid}.partial`;
  try {
    const fd = openSync(partial, 'w', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(partial, 0o600);
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return key;
}

function readKey(path: string): Buffer | undefined {
  let kept: Buffer;
  try {
    kept = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (kept.length !== SECRET_KEY_BYTES) return undefined;
  // Made by hand or copied with looser permissions: the owner's alone again.
  chmodSync(path, 0o600);
  return kept;
}
