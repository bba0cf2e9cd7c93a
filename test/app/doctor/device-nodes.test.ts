/**
 * Device nodes as doctor sees them: real character devices made with mknod
 * (these tests run as root, which ignores permission bits — so what is judged
 * is what the `carrel` service user would get: the node's group and mode).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrelConfig } from '../../../src/app/config.js';
import { checkDeviceNodes, checkUdevRules, expectedNodeGroup } from '../../../src/app/doctor/device-nodes.js';
import { packageRoot } from '../../../src/core/paths.js';

let dir: string;
let canMknod = false;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-nodes-'));
  // /dev/null's numbers: a harmless character device.
  canMknod = spawnSync('mknod', [join(dir, 'ttyUSB9'), 'c', '1', '3']).status === 0;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function desk(path: string): CarrelConfig {
  return {
    devices: [{ id: 'receipt-2', kind: 'receipt-printer', transport: { type: 'serial', path } }],
  } as unknown as CarrelConfig;
}

/** A group file in which gid 20 is dialout and the carrel user may or may not be a member. */
function groupFile(members: string): string {
  const file = join(dir, `group-${members || 'none'}`);
  writeFileSync(file, `root:x:0:\ndialout:x:20:${members}\n`);
  return file;
}

describe('device nodes', () => {
  it('skips when no configured device has a node, and fails a missing one', () => {
    expect(checkDeviceNodes({ devices: [] } as unknown as CarrelConfig)[0]).toMatchObject({ status: 'skip' });
    const [missing] = checkDeviceNodes(desk(join(dir, 'ttyUSB404')));
    expect(missing).toMatchObject({
      status: 'fail',
      name: `device node ${join(dir, 'ttyUSB404')} (receipt-2)`,
    });
  });

  it('fails a path that is not a character device', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    expect(checkDeviceNodes(desk(file))[0]).toMatchObject({
      status: 'fail',
      detail: `${file} is not a character device`,
    });
  });

  it.skipIf(process.getuid?.() !== 0)(
    'warns when the group may not read and write; passes a 0660 node of its group',
    () => {
      if (!canMknod) throw new Error('mknod failed although running as root');
      const node = join(dir, 'ttyUSB9');
      chownSync(node, 0, 20);
      chmodSync(node, 0o600);
      const closed = checkDeviceNodes(desk(node), groupFile(''))[0]!;
      expect(closed.status).toBe('warn');
      expect(closed.detail).toContain('group dialout, mode 0600');
      expect(closed.hint).toContain('udev');
      chmodSync(node, 0o660);
      // Through a stable symlink, as /dev/serial/by-id and /dev/carrel/… are.
      const link = join(dir, 'by-id-reader');
      symlinkSync(node, link);
      const open = checkDeviceNodes(desk(link), groupFile(''))[0]!;
      expect(open).toMatchObject({ status: 'pass', detail: `${link} → ${node}: group dialout, mode 0660` });
    },
  );

  it('udev rules: skipped without device nodes, a warning with the install line when missing, a pass when current', () => {
    const none = join(dir, 'no-rules');
    expect(checkUdevRules({ devices: [] } as unknown as CarrelConfig, [none]).status).toBe('skip');
    const missing = checkUdevRules(desk('/dev/ttyUSB0'), [none]);
    expect(missing.status).toBe('warn');
    expect(missing.hint).toContain('udevadm control --reload');
    const installed = mkdtempSync(join(dir, 'rules-'));
    copyFileSync(join(packageRoot(), 'systemd', '99-carrel.rules'), join(installed, '99-carrel.rules'));
    expect(checkUdevRules(desk('/dev/ttyUSB0'), [installed]).status).toBe('pass');
    writeFileSync(join(installed, '99-carrel.rules'), '# an older copy\n');
    expect(checkUdevRules(desk('/dev/ttyUSB0'), [installed])).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('differs'),
    });
  });
});

describe('the group doctor expects of a node', () => {
  it('is the group the udev rules the package installs give that kind of node, and one the service unit has', () => {
    const rules = readFileSync(join(packageRoot(), 'systemd', '99-carrel.rules'), 'utf8');
    const unit = readFileSync(join(packageRoot(), 'systemd', 'carrel.service'), 'utf8');
    const serviceGroups = /^SupplementaryGroups=(.*)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];
    // A node of each kind the rules name, as the kernel names it.
    const nodeOf: Record<string, string> = {
      tty: '/dev/ttyUSB0',
      hidraw: '/dev/hidraw0',
      input: '/dev/input/event3',
      usbmisc: '/dev/usb/lp0',
    };
    const given = [...rules.matchAll(/^SUBSYSTEM=="(\w+)".*GROUP="(\w+)"/gm)].map(([, subsystem, group]) => ({
      node: nodeOf[subsystem!],
      group,
    }));
    expect(given.map(({ node }) => node)).toEqual(expect.arrayContaining(Object.values(nodeOf)));
    for (const { node, group } of given) {
      expect({ node, group: expectedNodeGroup(node!) }).toEqual({ node, group });
      expect(serviceGroups).toContain(group);
    }
  });
});
