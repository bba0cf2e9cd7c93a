/** Is Carrel's systemd unit installed, enabled and running? Skipped where systemd is not the init. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';

export const CARREL_UNIT = 'carrel.service';

export async function checkSystemd(
  unit = CARREL_UNIT,
  runtimeDirectory = '/run/systemd/system',
): Promise<DoctorCheck> {
  const name = `systemd unit ${unit}`;
  if (!existsSync(runtimeDirectory)) {
    return doctorCheck(name, 'skip', `systemd is not running on this machine (no ${runtimeDirectory})`);
  }
  let properties: Map<string, string>;
  try {
    properties = await systemctlShow(unit);
  } catch (error) {
    return doctorCheck(name, 'skip', `systemctl cannot be asked: ${(error as Error).message}`);
  }
  const load = properties.get('LoadState');
  const active = properties.get('ActiveState') ?? 'unknown';
  const sub = properties.get('SubState') ?? '';
  const enabled = properties.get('UnitFileState') ?? 'unknown';
  const install = `install systemd/${unit} in /etc/systemd/system, then systemctl daemon-reload && systemctl enable --now carrel`;
  if (load === 'not-found') return doctorCheck(name, 'warn', `${unit} is not installed`, install);
  const detail = `${load}, ${enabled}, ${active} (${sub})`;
  if (active === 'failed')
    return doctorCheck(name, 'fail', detail, `see journalctl -u carrel -n 50; then systemctl restart carrel`);
  if (active !== 'active' || enabled !== 'enabled')
    return doctorCheck(name, 'warn', detail, 'systemctl enable --now carrel');
  return doctorCheck(name, 'pass', detail);
}

function systemctlShow(unit: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      ['show', unit, '--property=LoadState,ActiveState,SubState,UnitFileState', '--no-pager'],
      { timeout: 5000 },
      (error, stdout) => {
        if (error) return reject(error);
        const properties = new Map<string, string>();
        for (const line of stdout.split('\n')) {
          const at = line.indexOf('=');
          if (at > 0) properties.set(line.slice(0, at), line.slice(at + 1).trim());
        }
        resolve(properties);
      },
    );
  });
}
