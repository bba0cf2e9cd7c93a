import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const systemdDir = new URL('../../systemd/', import.meta.url).pathname;
const unitText = readFileSync(join(systemdDir, 'carrel.service'), 'utf8');
const rulesText = readFileSync(join(systemdDir, '99-carrel.rules'), 'utf8');

/** systemd unit syntax: [Section] headers, Key=Value lines, # and ; comments, repeated keys. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      return;
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!pair || !current) throw new Error(`carrel.service line ${index + 1} is not Key=Value: ${raw}`);
    const values = current.get(pair[1]!) ?? [];
    values.push(pair[2]!.trim());
    current.set(pair[1]!, values);
  });
  return sections;
}

function systemdAnalyzeAvailable(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('systemd/carrel.service', () => {
  const unit = parseUnit(unitText);
  const service = unit.get('Service')!;
  const one = (key: string) => {
    const values = service.get(key);
    expect(values, `${key} is set once`).toHaveLength(1);
    return values![0];
  };

  it('has Unit, Service and Install sections', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('is a notify service with a watchdog that restarts on failure', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('main');
    expect(one('ExecStart')).toBe('/usr/bin/carrel start --config /etc/carrel/carrel.yaml');
    expect(one('WatchdogSec')).toBe('20s');
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartSec')).toBe('2');
    expect(one('TimeoutStopSec')).toBe('20');
  });

  it('runs as carrel with the device groups and its own directories', () => {
    expect(one('User')).toBe('carrel');
    expect(one('SupplementaryGroups')!.split(/\s+/).sort()).toEqual(['dialout', 'lp', 'plugdev']);
    expect(one('StateDirectory')).toBe('carrel');
    expect(one('ConfigurationDirectory')).toBe('carrel');
  });

  it('is hardened as far as V8 allows', () => {
    for (const key of [
      'NoNewPrivileges',
      'ProtectHome',
      'PrivateTmp',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectKernelLogs',
      'ProtectControlGroups',
      'RestrictNamespaces',
      'RestrictRealtime',
      'LockPersonality',
    ]) {
      expect(one(key), key).toBe('yes');
    }
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('SystemCallArchitectures')).toBe('native');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')!.split(/\s+/).sort()).toEqual([
      'AF_INET',
      'AF_INET6',
      'AF_NETLINK',
      'AF_UNIX',
    ]);
    // V8's JIT needs W+X pages; PrivateDevices would hide the hardware.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(service.has('PrivateDevices')).toBe(false);
    expect(unitText).toMatch(/#.*MemoryDenyWriteExecute.*\n#.*Node aborts/);
  });

  it('allows only the device classes Carrel drives', () => {
    expect(one('DevicePolicy')).toBe('closed');
    expect(service.get('DeviceAllow')).toEqual([
      'char-ttyUSB rw',
      'char-ttyACM rw',
      'char-ttyS rw',
      'char-usb rw',
      'char-hidraw rw',
      'char-input r',
    ]);
  });

  it.skipIf(!systemdAnalyzeAvailable())('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-unit-'));
    try {
      // verify checks that ExecStart exists; Carrel is not installed at /usr/bin here.
      const path = join(dir, 'carrel.service');
      writeFileSync(path, unitText.replace('ExecStart=/usr/bin/carrel ', `ExecStart=${process.execPath} `));
      const result = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);

      // The check can fail: a misspelt value is reported.
      writeFileSync(
        path,
        unitText.replace('Type=notify', 'Type=notfy').replace('/usr/bin/carrel', process.execPath),
      );
      const broken = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
      expect(broken.stderr).toMatch(/notfy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('systemd/carrel-backup.service and .timer', () => {
  const serviceText = readFileSync(join(systemdDir, 'carrel-backup.service'), 'utf8');
  const timerText = readFileSync(join(systemdDir, 'carrel-backup.timer'), 'utf8');

  it('backs up nightly as the carrel user, keeping 14, into its state directory', () => {
    const service = parseUnit(serviceText).get('Service')!;
    expect(service.get('Type')).toEqual(['oneshot']);
    expect(service.get('ExecStart')).toEqual([
      '/usr/bin/carrel backup --config /etc/carrel/carrel.yaml --keep 14',
    ]);
    expect(service.get('User')).toEqual(['carrel']);
    expect(service.get('StateDirectory')).toEqual(['carrel']);
    expect(service.get('UMask')).toEqual(['0077']);
    const timer = parseUnit(timerText);
    expect(timer.get('Timer')!.get('OnCalendar')).toEqual(['*-*-* 02:30:00']);
    expect(timer.get('Timer')!.get('Persistent')).toEqual(['yes']);
    expect(timer.get('Install')!.get('WantedBy')).toEqual(['timers.target']);
  });

  it('tells IT to restore with carrel restore, as carrel backup --help does, never by copying the file', () => {
    // The unit's comments are where IT looks for the backup's way back. A copy put in place of
    // carrel.db sends the offline transactions the backup had not replayed to the ILS again, and
    // keeps the cash devices' event counters of the backup (coins taken since credited again).
    const comments = serviceText
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map((line) => line.replace(/^#\s?/, ''))
      .join('\n');
    const restore = comments.slice(comments.indexOf('Restore'));
    expect(restore).toContain('systemctl stop carrel');
    expect(restore).toContain('carrel restore --config /etc/carrel/carrel.yaml /var/lib/carrel/backups/');
    expect(restore).toContain('systemctl start carrel');
    expect(restore).not.toMatch(/\bcopy a backup to\b|\bcp\b.*carrel\.db/);
  });

  it.skipIf(!systemdAnalyzeAvailable())('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-unit-'));
    try {
      writeFileSync(
        join(dir, 'carrel-backup.service'),
        serviceText.replace(/^ExecStart=\/usr\/bin\/carrel /m, `ExecStart=${process.execPath} `),
      );
      writeFileSync(join(dir, 'carrel-backup.timer'), timerText);
      const result = spawnSync(
        'systemd-analyze',
        ['verify', '--man=no', join(dir, 'carrel-backup.service'), join(dir, 'carrel-backup.timer')],
        { encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface UdevPair {
  key: string;
  attribute: string | undefined;
  operator: string;
  value: string;
}

const UDEV_KEYS = new Set([
  'ACTION',
  'DEVPATH',
  'KERNEL',
  'KERNELS',
  'NAME',
  'SYMLINK',
  'SUBSYSTEM',
  'SUBSYSTEMS',
  'DRIVER',
  'DRIVERS',
  'ATTR',
  'ATTRS',
  'SYSCTL',
  'ENV',
  'TAG',
  'TAGS',
  'TEST',
  'PROGRAM',
  'RESULT',
  'OWNER',
  'GROUP',
  'MODE',
  'SECLABEL',
  'RUN',
  'LABEL',
  'GOTO',
  'IMPORT',
  'OPTIONS',
  'CONST',
]);
const MATCH_OPERATORS = new Set(['==', '!=']);
const ASSIGN_OPERATORS = new Set(['=', '+=', '-=', ':=']);

/** One udev rule per logical line: comma-separated KEY[{attr}]OP"value" pairs. */
function parseUdevRules(text: string): UdevPair[][] {
  const rules: UdevPair[][] = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n');
  logical.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const pairs: UdevPair[] = [];
    let rest = line;
    while (rest.length > 0) {
      const match = /^([A-Z]+)(?:\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"((?:[^"\\]|\\.)*)"\s*(,\s*|$)/.exec(rest);
      if (!match) throw new Error(`99-carrel.rules line ${index + 1}: cannot parse "${rest}"`);
      pairs.push({ key: match[1]!, attribute: match[2], operator: match[3]!, value: match[4]! });
      rest = rest.slice(match[0].length);
    }
    rules.push(pairs);
  });
  return rules;
}

describe('systemd/99-carrel.rules', () => {
  const rules = parseUdevRules(rulesText);
  const has = (rule: UdevPair[], key: string, operator: string, value: string, attribute?: string) =>
    rule.some(
      (p) => p.key === key && p.operator === operator && p.value === value && p.attribute === attribute,
    );

  it('is made of KEY==value matches followed by KEY=value assignments', () => {
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      for (const pair of rule) {
        expect(UDEV_KEYS.has(pair.key), `known key ${pair.key}`).toBe(true);
        if (['ATTR', 'ATTRS', 'ENV', 'IMPORT', 'TEST', 'SYSCTL'].includes(pair.key)) {
          expect(pair.attribute, `${pair.key} takes {name}`).toBeDefined();
        }
      }
      expect(rule.some((p) => MATCH_OPERATORS.has(p.operator))).toBe(true);
      expect(rule.some((p) => ASSIGN_OPERATORS.has(p.operator))).toBe(true);
      if (rule.some((p) => p.key === 'MODE')) {
        expect(rule.find((p) => p.key === 'MODE')!.value).toMatch(/^0[0-7]{3}$/);
      }
    }
  });

  it('rejects a malformed line (the parser is strict)', () => {
    expect(() => parseUdevRules('SUBSYSTEM=="tty" GROUP="dialout"\n')).toThrow(/cannot parse/);
    expect(() => parseUdevRules('SUBSYSTEM=="tty", GROUP=dialout\n')).toThrow(/cannot parse/);
  });

  it('gives FEIG (0ab1) and FTDI (0403:6001) serial devices to dialout with /dev/carrel/ names', () => {
    const feig = rules.filter(
      (r) => has(r, 'SUBSYSTEM', '==', 'tty') && has(r, 'ENV', '==', '0ab1', 'ID_VENDOR_ID'),
    );
    expect(feig.some((r) => has(r, 'GROUP', '=', 'dialout') && has(r, 'MODE', '=', '0660'))).toBe(true);
    expect(
      feig.filter((r) => r.some((p) => p.key === 'SYMLINK' && p.value.startsWith('carrel/feig-'))),
    ).toHaveLength(2);

    const ftdi = rules.filter(
      (r) => has(r, 'ENV', '==', '0403', 'ID_VENDOR_ID') && has(r, 'ENV', '==', '6001', 'ID_MODEL_ID'),
    );
    expect(ftdi.some((r) => has(r, 'GROUP', '=', 'dialout'))).toBe(true);
    expect(
      ftdi.filter((r) => r.some((p) => p.key === 'SYMLINK' && p.value.startsWith('carrel/ftdi-'))),
    ).toHaveLength(2);
  });

  it('gives scanner hidraw nodes to plugdev 0660 and usblp printers to lp', () => {
    const hidraw = rules.filter((r) => has(r, 'SUBSYSTEM', '==', 'hidraw'));
    expect(hidraw.length).toBeGreaterThan(0);
    for (const rule of hidraw) {
      expect(has(rule, 'GROUP', '=', 'plugdev') && has(rule, 'MODE', '=', '0660')).toBe(true);
      // never every hidraw node: keyboards are HID too
      expect(rule.some((p) => p.key === 'ATTRS' && p.attribute === 'idVendor')).toBe(true);
    }
    const usblp = rules.filter(
      (r) => has(r, 'SUBSYSTEM', '==', 'usbmisc') && has(r, 'KERNEL', '==', 'lp[0-9]*'),
    );
    expect(usblp.some((r) => has(r, 'GROUP', '=', 'lp') && has(r, 'MODE', '=', '0660'))).toBe(true);
  });
});

/**
 * The kernel's name (in /proc/devices, which DeviceAllow=char-<name> looks up) for the nodes of
 * each udev subsystem the rules hand to Carrel, and the access Carrel needs to them.
 */
const DEVICE_CLASSES: Record<string, { classes: string[]; access: string }> = {
  // USB serial adapters (FTDI: usbserial), CDC-ACM devices, on-board ports.
  tty: { classes: ['ttyUSB', 'ttyACM'], access: 'rw' },
  hidraw: { classes: ['hidraw'], access: 'rw' },
  // Keyboard-wedge scanners, read only (InputDeviceTransport opens O_RDONLY).
  input: { classes: ['input'], access: 'r' },
  // usblp's /dev/usb/lp* (major 180, "usb").
  usbmisc: { classes: ['usb'], access: 'rw' },
};

describe('carrel.service and 99-carrel.rules together', () => {
  const service = parseUnit(unitText).get('Service')!;
  const allowed = new Map(
    (service.get('DeviceAllow') ?? []).map((entry) => {
      const [spec, access = 'rwm'] = entry.split(/\s+/);
      return [spec!, access] as const;
    }),
  );

  it('lets the service open every device the udev rules give to Carrel’s groups', () => {
    const subsystems = new Set(
      parseUdevRules(rulesText)
        .filter((rule) => rule.some((p) => p.key === 'GROUP'))
        .flatMap((rule) =>
          rule.filter((p) => p.key === 'SUBSYSTEM' && p.operator === '==').map((p) => p.value),
        ),
    );
    expect([...subsystems].sort()).toEqual(Object.keys(DEVICE_CLASSES).sort());
    const refused: string[] = [];
    for (const subsystem of subsystems) {
      const { classes, access } = DEVICE_CLASSES[subsystem]!;
      for (const name of classes) {
        const given = allowed.get(`char-${name}`) ?? '';
        if (![...access].every((letter) => given.includes(letter)))
          refused.push(`${subsystem} (char-${name} ${access}, unit has "${given}")`);
      }
    }
    expect(refused, 'device classes the rules give Carrel but DevicePolicy=closed refuses').toEqual([]);
  });
});
