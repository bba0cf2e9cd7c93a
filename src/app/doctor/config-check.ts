import { ConfigError } from '../../core/errors.js';
import { unreadConfig } from '../../gateway/config/format.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { type CarrelConfig, loadConfigFile } from '../config.js';
import { defaultDeskConfig } from '../default-desk.js';
import { serviceEnvironmentHint } from '../service-environment.js';
import {
  type AccountFiles,
  SERVICE_USER,
  type ServiceUserBlocked,
  serviceUserCannotRead,
} from './service-user.js';

/** Is the configuration valid, and was it written for this version of Carrel (or migrated on load)? */
export function checkConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
  accounts: AccountFiles = {},
): { check: DoctorCheck; config: CarrelConfig | undefined } {
  if (path === undefined) {
    return {
      check: doctorCheck('config', 'pass', 'no --config (nor CARREL_CONFIG): the built-in simulated desk'),
      config: defaultDeskConfig(),
    };
  }
  const notes: string[] = [];
  try {
    const config = loadConfigFile(path, env, { onMigrated: (note) => notes.push(note) });
    const blocked = serviceUserCannotRead(path, accounts);
    if (blocked) return { check: unreadableByService(path, blocked), config };
    if (notes.length === 0) return { check: doctorCheck('config', 'pass', `${path} is valid`), config };
    return {
      check: doctorCheck(
        'config',
        'warn',
        `${path} is valid once migrated from an older version: ${notes.join('; ')}`,
        `bring the file up to date by hand as the notes say (Carrel migrates it on every start until then)`,
      ),
      config,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unread = unreadConfig(error, path);
    if (unread)
      return {
        check: doctorCheck(
          'config',
          'fail',
          unread,
          'check the path given with --config (or in CARREL_CONFIG); nothing else can be checked until it is read',
        ),
        config: undefined,
      };
    // Secrets the service's EnvironmentFile sets and this shell does not (doctor run by hand).
    const unset = error.issues.flatMap(
      (issue) => /^environment variable (\S+) is not set$/.exec(issue.message)?.[1] ?? [],
    );
    const problems = error.issues.map((issue) =>
      issue.path ? `${issue.path}: ${issue.message}` : issue.message,
    );
    const shown =
      problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    return {
      check: doctorCheck(
        'config',
        'fail',
        `${path} is not valid: ${shown}`,
        unset.length === error.issues.length
          ? `${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set here, and nothing else can be checked until ${unset.length === 1 ? 'it is' : 'they are'}: ${serviceEnvironmentHint(`carrel doctor --config ${path}`)}`
          : `\`carrel config check ${path}\` lists every problem; nothing else can be checked until it is valid`,
      ),
      config: undefined,
    };
  }
}

/**
 * Valid, and readable by whoever runs doctor, but not by the service user: `systemctl start carrel`
 * would stop at "permission denied" — a failure for the file in the service's own folder
 * (/etc/carrel), a warning for one elsewhere (a copy being tried out in a home folder, which the
 * service may never be given). The rest of the desk is still checked.
 */
function unreadableByService(path: string, blocked: ServiceUserBlocked): DoctorCheck {
  const where = blocked.folder
    ? `the folder ${blocked.path} (${blocked.shown}), which it may not enter`
    : `${blocked.shown}`;
  return doctorCheck(
    'config',
    blocked.theServicesOwn ? 'fail' : 'warn',
    `${path} is valid, but the ${SERVICE_USER} service user cannot read it: ${where} — Carrel run by systemd (User=${SERVICE_USER}) would not start ("cannot read ${path}: permission denied")`,
    blocked.folder
      ? `put the file where the service reads it — /etc/carrel/carrel.yaml, as the package installs it (the folder root:${SERVICE_USER} 0750, the file 0640) — or let the ${SERVICE_USER} group enter the folder: sudo chgrp ${SERVICE_USER} ${blocked.path} && sudo chmod g+x ${blocked.path}`
      : `sudo chown root:${SERVICE_USER} ${blocked.path} && sudo chmod 640 ${blocked.path} (as the package installs it: readable by the ${SERVICE_USER} group, not by everyone, as it may hold passwords)`,
  );
}
