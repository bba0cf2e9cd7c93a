/**
 * The device nodes configured devices are reached through (a serial port, a USB
 * printer's /dev/usb/lp0…): present, a character device, owned by the group
 * Carrel's udev rules give it, and readable and writable by that group — the
 * service runs as the `carrel` user, a member of those groups, not as root.
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../core/paths.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import type { CarrelConfig } from '../config.js';

/**
 * The group each kind of node gets (Debian's defaults and systemd/99-carrel.rules): the rules give
 * scanners' hidraw and input event nodes to plugdev, the group the service unit's
 * SupplementaryGroups has (not Debian's `input`, which the carrel user is not in).
 */
const NODE_GROUPS: ReadonlyArray<{ pattern: RegExp; group: string }> = [
  { pattern: /^\/dev\/tty(USB|ACM|S|AMA)\d+$/, group: 'dialout' },
  { pattern: /^\/dev\/(usb\/)?lp\d+$/, group: 'lp' },
  { pattern: /^\/dev\/hidraw\d+$/, group: 'plugdev' },
  { pattern: /^\/dev\/input\/event\d+$/, group: 'plugdev' },
];

/** The group doctor expects a device node (its real path) to have, if it knows one. */
export function expectedNodeGroup(path: string): string | undefined {
  return NODE_GROUPS.find(({ pattern }) => pattern.test(path))?.group;
}

export const UDEV_RULES = '99-carrel.rules';
const UDEV_DIRECTORIES = ['/etc/udev/rules.d', '/usr/lib/udev/rules.d', '/lib/udev/rules.d'];

/** Every configured device's node path, whatever its family: any transport with a `path`. */
export function configuredNodes(config: CarrelConfig): Array<{ device: string; path: string }> {
  const nodes: Array<{ device: string; path: string }> = [];
  for (const device of config.devices) {
    const transport = (device as { transport?: { path?: unknown } }).transport;
    if (typeof transport?.path === 'string') nodes.push({ device: device.id, path: transport.path });
  }
  return nodes;
}

export function checkDeviceNodes(config: CarrelConfig, groupFile = '/etc/group'): DoctorCheck[] {
  const nodes = configuredNodes(config);
  if (nodes.length === 0) {
    return [doctorCheck('device nodes', 'skip', 'no configured device is reached through a device node')];
  }
  const groups = readGroups(groupFile);
  return nodes.map(({ device, path }) => checkNode(device, path, groups));
}

function checkNode(device: string, path: string, groups: Groups): DoctorCheck {
  const name = `device node ${path} (${device})`;
  let real: string;
  let stat: ReturnType<typeof statSync>;
  try {
    real = realpathSync(path);
    stat = statSync(real);
  } catch (error) {
    return doctorCheck(
      name,
      'fail',
      `${path} is missing (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      `plug the device in and check devices[${device}].transport.path (ls -l /dev/serial/by-id /dev/usb); stable names come from the udev rules`,
    );
  }
  const shown = real === path ? path : `${path} → ${real}`;
  if (!stat.isCharacterDevice()) {
    return doctorCheck(
      name,
      'fail',
      `${shown} is not a character device`,
      `devices[${device}].transport.path must name the device's node`,
    );
  }
  const group = groups.byId.get(stat.gid) ?? String(stat.gid);
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  const expected = expectedNodeGroup(real);
  const detail = `${shown}: group ${group}, mode ${mode}`;
  try {
    accessSync(real, constants.R_OK | constants.W_OK);
  } catch {
    return doctorCheck(
      name,
      'fail',
      `${detail}; this user may not read and write it`,
      `add the user to group ${group} (sudo usermod -aG ${group} $USER, then log in again)`,
    );
  }
  if ((stat.mode & 0o060) !== 0o060) {
    return doctorCheck(
      name,
      'warn',
      `${detail}: its group may not read and write it, so the carrel service user cannot`,
      `install the udev rules (systemd/${UDEV_RULES}) or chmod g+rw ${real}`,
    );
  }
  if (expected !== undefined && group !== expected) {
    return doctorCheck(
      name,
      'warn',
      `${detail}, expected group ${expected}`,
      `install the udev rules (systemd/${UDEV_RULES})`,
    );
  }
  const service = groups.members.get(group);
  if (groups.hasCarrelUser && !service?.has('carrel')) {
    return doctorCheck(
      name,
      'warn',
      `${detail}; the carrel user is not in group ${group}`,
      `sudo usermod -aG ${group} carrel`,
    );
  }
  return doctorCheck(name, 'pass', detail);
}

/** Are Carrel's udev rules installed, and the same as the ones this Carrel ships? */
export function checkUdevRules(config: CarrelConfig, directories = UDEV_DIRECTORIES): DoctorCheck {
  const name = 'udev rules';
  const shipped = join(packageRoot(), 'systemd', UDEV_RULES);
  const installed = directories
    .map((directory) => join(directory, UDEV_RULES))
    .find((path) => existsSync(path));
  const needed = configuredNodes(config).length > 0;
  const install = `sudo cp ${shipped} /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger`;
  if (!installed) {
    if (!needed)
      return doctorCheck(name, 'skip', `${UDEV_RULES} not installed; no configured device needs it`);
    return doctorCheck(
      name,
      'warn',
      `${UDEV_RULES} is not installed (looked in ${directories.join(', ')})`,
      install,
    );
  }
  try {
    if (readFileSync(installed, 'utf8') !== readFileSync(shipped, 'utf8')) {
      return doctorCheck(name, 'warn', `${installed} differs from the rules this Carrel ships`, install);
    }
  } catch (error) {
    return doctorCheck(name, 'warn', `${installed} cannot be read: ${(error as Error).message}`);
  }
  return doctorCheck(name, 'pass', `${installed} is installed and current`);
}

interface Groups {
  byId: Map<number, string>;
  members: Map<string, Set<string>>;
  hasCarrelUser: boolean;
}

function readGroups(groupFile: string): Groups {
  const byId = new Map<number, string>();
  const members = new Map<string, Set<string>>();
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [group, , gid, users] = line.split(':');
      if (!group || gid === undefined) continue;
      byId.set(Number(gid), group);
      members.set(group, new Set((users ?? '').split(',').filter(Boolean)));
    }
  } catch {
    // No group file: groups are shown by number.
  }
  let hasCarrelUser = false;
  try {
    hasCarrelUser = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((line) => line.startsWith('carrel:'));
  } catch {
    // No passwd file: nothing to say about the service user.
  }
  return { byId, members, hasCarrelUser };
}
