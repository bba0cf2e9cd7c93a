import { ConfigError } from '../../core/errors.js';
import { unreadConfig } from '../../gateway/config/format.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { type CarrelConfig, loadConfigFile } from '../config.js';
import { defaultDeskConfig } from '../default-desk.js';

/** Is the configuration valid, and was it written for this version of Carrel (or migrated on load)? */
export function checkConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
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
        `\`carrel config check ${path}\` lists every problem; nothing else can be checked until it is valid`,
      ),
      config: undefined,
    };
  }
}
