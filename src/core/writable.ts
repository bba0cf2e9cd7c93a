import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CarrelError } from './errors.js';

/** A user's name from /etc/passwd, else `uid N`. */
export function userName(uid: number): string {
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
 * Carrel as root, which the service's own user then cannot write; the others, a full disk, and a
 * path on a kernel file system (/proc, /sys), which root may pass `access()` on and which has no
 * free space to tell, yet takes no file: a directory is asked for a new file, and its errno said.
 * Undefined when it may.
 */
export function whyNotWritable(path: string, options: { directoryToo?: boolean } = {}): string | undefined {
  const exists = ownerOf(path) !== undefined;
  const directory = dirname(path);
  const targets = !exists ? [directory] : options.directoryToo ? [path, directory] : [path];
  const root = process.getuid?.() === 0;
  for (const target of targets) {
    const owner = ownerOf(target);
    if (owner === undefined) continue;
    const refused = whyRefused(target);
    // No owner or mode helps there: the disk itself (a backup disk, a state directory) is read-only.
    if (refused === 'EROFS')
      return `${target} is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk`;
    if (refused !== undefined && !root) {
      const user = thisUser();
      return `${user} (the user Carrel runs as) may not write ${target}, which belongs to ${userName(owner)}: give it to ${user} (chown), or run Carrel as its owner`;
    }
    if (target === directory) {
      const code = refused ?? whyNoFileMade(target);
      if (code !== undefined)
        return noNewFileWords(target, code, target, 'Carrel') ?? `${target} takes no new file (${code})`;
    } else if (refused !== undefined)
      return `${target} may not be written even by root (a kernel file system, or a file marked immutable): choose a folder on a disk`;
  }
  const free = options.directoryToo ? freeBytes(directory) : undefined;
  if (free !== undefined && free < FULL_BELOW_BYTES)
    return `the disk holding ${directory} is full (${Math.floor(free / 1024)} KiB free): make room on it`;
  return undefined;
}

/**
 * Makes `directory` and the folders above it that are missing, one at a time, each with `mode`;
 * the first one made, as `mkdirSync(…, { recursive: true })` returns it (undefined: none made).
 * Not that recursion itself: asked for a folder under /proc, Node's never ends (it makes the
 * parent, which is there, and tries again, for ever at full CPU). A folder the file system will
 * not make is a CarrelError saying why in words; an errno error (EACCES…) is thrown as it came.
 */
export function makeFolders(directory: string, mode?: number): string | undefined {
  const missing: string[] = [];
  for (let folder = resolve(directory); !existsSync(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, mode === undefined ? {} : { mode });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // A parent that is there yet makes nothing: a kernel file system such as /proc.
      if (code !== 'ENOENT') throw error;
      const parent = dirname(folder);
      throw new CarrelError(
        'folder_not_made',
        `cannot make ${folder}: ${noNewFileWords(parent, code, parent, 'Carrel')}`,
        { cause: error },
      );
    }
  }
  return missing[0];
}

/** The errno code with which `directory` refused a new file (a probe, removed at once); undefined when it took one. */
function whyNoFileMade(directory: string): string | undefined {
  const probe = join(directory, `.carrel-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EEXIST' ? undefined : (code ?? 'EACCES');
  }
  rmSync(probe, { force: true });
  return undefined;
}

/** Less free space than this is a full disk: SQLite's WAL and shared memory need more. */
const FULL_BELOW_BYTES = 1024 * 1024;

/** Free bytes on the disk holding `directory`; undefined on a kernel file system (no blocks: not a disk). */
function freeBytes(directory: string): number | undefined {
  try {
    const stats = statfsSync(directory);
    return stats.blocks === 0 ? undefined : stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** The uid that owns `path`; undefined where there is none to stat. */
export function ownerOf(path: string): number | undefined {
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
  return noNewFileWords(directory, code, 'it', 'the backup');
}

/**
 * The sentence of whyNoNewFile, of `subject` (`it`, or the folder's path); `doer` is what the
 * folder's owner could run instead (the backup, Carrel).
 */
function noNewFileWords(
  directory: string,
  code: string | undefined,
  subject: string,
  doer: string,
): string | undefined {
  const its = subject === 'it' ? 'its disk' : `the disk holding ${subject}`;
  switch (code) {
    case 'EROFS':
      return `${subject} is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk`;
    case 'ENOSPC':
    case 'EDQUOT': {
      const free = freeBytes(directory);
      const room = free === undefined ? '' : ` (${Math.floor(free / 1024)} KiB free)`;
      return code === 'ENOSPC'
        ? `${its} is full${room}: make room on it, or choose another disk`
        : `this user's quota on ${its} is used up${room}: make room, or choose another disk`;
    }
    case 'EACCES':
    case 'EPERM': {
      const user = thisUser();
      if (process.getuid?.() === 0)
        return `${subject} refuses new files even to root (a kernel file system such as /proc or /sys, or a folder marked immutable): choose a folder on a disk`;
      const owner = ownerOf(directory);
      const whose = owner === undefined ? '' : `, it belongs to ${userName(owner)}`;
      const asOwner = owner === undefined ? '' : `run ${doer} as ${userName(owner)}, or `;
      const where = subject === 'it' ? 'there' : subject;
      return `${user} may not write ${where}${whose}: ${asOwner}give ${user} the folder (chown), or choose another`;
    }
    case 'ENOENT':
      // The folder is there (looked at before): a file system that makes no files, such as /proc.
      return `${subject} takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk`;
    case 'ENOTDIR':
      return 'a part of that path is a file, not a folder';
    default:
      return undefined;
  }
}
