import { accessSync, constants, readFileSync, statfsSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';

/** A user's name from /etc/passwd, else `uid N`. */
function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === uid) return name;
    }
  } catch {
    // No passwd file to read: the number says it.
  }
  return `uid ${uid}`;
}

/** Who this process runs as, for a message. */
export function thisUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.getuid ? userName(process.getuid()) : 'this user';
  }
}

/**
 * Why this process may not write `path`, in a sentence with what to do: the file, or the directory
 * it would be made in; with `directoryToo` the directory as well and room on its disk, where files
 * are made beside it (SQLite's WAL). The classic is a state directory a person once filled running
 * Carrel as root, which the service's own user then cannot write; the other, a full disk.
 * Undefined when it may.
 */
export function whyNotWritable(path: string, options: { directoryToo?: boolean } = {}): string | undefined {
  const exists = ownerOf(path) !== undefined;
  const targets = !exists ? [dirname(path)] : options.directoryToo ? [path, dirname(path)] : [path];
  for (const target of targets) {
    const owner = ownerOf(target);
    if (owner === undefined) continue;
    const refused = whyRefused(target);
    if (refused === undefined) continue;
    // No owner or mode helps there: the disk itself (a backup disk, a state directory) is read-only.
    if (refused === 'EROFS')
      return `${target} is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk`;
    const user = thisUser();
    return `${user} (the user Carrel runs as) may not write ${target}, which belongs to ${userName(owner)}: give it to ${user} (chown), or run Carrel as its owner`;
  }
  const free = options.directoryToo ? freeBytes(dirname(path)) : undefined;
  if (free !== undefined && free < FULL_BELOW_BYTES)
    return `the disk holding ${dirname(path)} is full (${Math.floor(free / 1024)} KiB free): make room on it`;
  return undefined;
}

/** Less free space than this is a full disk: SQLite's WAL and shared memory need more. */
const FULL_BELOW_BYTES = 1024 * 1024;

function freeBytes(directory: string): number | undefined {
  try {
    const stats = statfsSync(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

function ownerOf(path: string): number | undefined {
  try {
    return statSync(path).uid;
  } catch {
    return undefined;
  }
}

/** Why this process may not write `path` (the errno code: EROFS, EACCES…); undefined when it may. */
function whyRefused(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

/**
 * Why a new file could not be made in `directory`, from the errno the file system gave (`code`),
 * in words with what to do; undefined for a code this does not know. Said of what was tried, not
 * guessed beforehand: a kernel file system (/proc) has no free space and root may pass `access()`,
 * yet neither takes a file.
 */
export function whyNoNewFile(directory: string, code: string | undefined): string | undefined {
  // Each sentence follows "cannot write … in ${directory}: ".
  switch (code) {
    case 'EROFS':
      return 'it is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk';
    case 'ENOSPC':
    case 'EDQUOT': {
      const free = freeBytes(directory);
      const room = free === undefined ? '' : ` (${Math.floor(free / 1024)} KiB free)`;
      return code === 'ENOSPC'
        ? `its disk is full${room}: make room on it, or choose another disk`
        : `this user's quota on its disk is used up${room}: make room, or choose another disk`;
    }
    case 'EACCES':
    case 'EPERM': {
      const user = thisUser();
      if (process.getuid?.() === 0)
        return 'it refuses new files even to root (a kernel file system such as /proc or /sys, or a folder marked immutable): choose a folder on a disk';
      const owner = ownerOf(directory);
      const whose = owner === undefined ? '' : `, it belongs to ${userName(owner)}`;
      const asOwner = owner === undefined ? '' : `run the backup as ${userName(owner)}, or `;
      return `${user} may not write there${whose}: ${asOwner}give ${user} the folder (chown), or choose another`;
    }
    case 'ENOENT':
      // The folder is there (looked at before): a file system that makes no files, such as /proc.
      return 'it takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk';
    case 'ENOTDIR':
      return 'a part of that path is a file, not a folder';
    default:
      return undefined;
  }
}
