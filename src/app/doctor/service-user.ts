/**
 * The service user, `carrel` (the package's system user; the unit's User=carrel), and whether it
 * may read a file. IT staff run `carrel doctor` as root or as themselves, systemd runs Carrel as
 * `carrel`: a configuration moved into /etc/carrel from a home folder keeps its owner and mode
 * 0600, doctor reads it, and the service stops at "permission denied". Read from the account files
 * and the file's and its folders' modes, as the kernel decides (ACLs aside).
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const SERVICE_USER = 'carrel';

/** Where the accounts are, and the folder the service reads its configuration from (tests give their own). */
export interface AccountFiles {
  passwdFile?: string;
  groupFile?: string;
  /** The package's configuration folder, /etc/carrel: a file there is the one the service reads. */
  serviceFolder?: string;
}

/** The folder the package installs the service's configuration in (its unit reads /etc/carrel/carrel.yaml). */
export const SERVICE_CONFIG_FOLDER = '/etc/carrel';

interface Accounts {
  users: Map<number, string>;
  groups: Map<number, string>;
  service: { uid: number; gids: Set<number> } | undefined;
}

function lines(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.split(':'));
  } catch {
    return []; // No such file: no accounts to say anything of.
  }
}

function readAccounts({ passwdFile = '/etc/passwd', groupFile = '/etc/group' }: AccountFiles): Accounts {
  const users = new Map<number, string>();
  let service: Accounts['service'];
  for (const [name, , uid, gid] of lines(passwdFile)) {
    if (!name || uid === undefined || gid === undefined) continue;
    users.set(Number(uid), name);
    if (name === SERVICE_USER) service = { uid: Number(uid), gids: new Set([Number(gid)]) };
  }
  const groups = new Map<number, string>();
  for (const [name, , gid, members] of lines(groupFile)) {
    if (!name || gid === undefined) continue;
    groups.set(Number(gid), name);
    if (service && (members ?? '').split(',').includes(SERVICE_USER)) service.gids.add(Number(gid));
  }
  return { users, groups, service };
}

/** What keeps the service user from a file: the file itself, or a folder on its way it may not enter. */
export interface ServiceUserBlocked {
  path: string;
  folder: boolean;
  /** The file is in the service's configuration folder: the service itself would read it. */
  theServicesOwn: boolean;
  /** `owner it-staff, group it-staff, mode 0600`. */
  shown: string;
}

/**
 * Why the `carrel` user could not read `file`, or undefined when it could — or when this machine
 * has no such user, or doctor runs as it (its own reading said so already).
 */
export function serviceUserCannotRead(
  file: string,
  files: AccountFiles = {},
): ServiceUserBlocked | undefined {
  const accounts = readAccounts(files);
  const service = accounts.service;
  if (!service || service.uid === process.getuid?.()) return undefined;
  let real: string;
  try {
    real = realpathSync(resolve(file));
  } catch {
    return undefined; // Doctor's own reading says what is wrong with the path.
  }
  const folders: string[] = [];
  for (let folder = dirname(real); ; folder = dirname(folder)) {
    folders.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  const steps = [...folders.map((path) => ({ path, folder: true })), { path: real, folder: false }];
  for (const step of steps) {
    const stat = statSync(step.path);
    // Owner, else group, else others: the kernel looks at one class only.
    const shift = stat.uid === service.uid ? 6 : service.gids.has(stat.gid) ? 3 : 0;
    const wanted = step.folder ? 0o1 : 0o4;
    if (((stat.mode >> shift) & wanted) !== 0) continue;
    const owner = accounts.users.get(stat.uid) ?? String(stat.uid);
    const group = accounts.groups.get(stat.gid) ?? String(stat.gid);
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    const serviceFolder = files.serviceFolder ?? SERVICE_CONFIG_FOLDER;
    const theServicesOwn = real.startsWith(`${serviceFolder}/`);
    return { ...step, theServicesOwn, shown: `owner ${owner}, group ${group}, mode ${mode}` };
  }
  return undefined;
}
