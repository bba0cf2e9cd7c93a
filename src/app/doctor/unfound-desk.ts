/**
 * A Carrel running on the database doctor checks, whose API doctor did not find: it took a port
 * at start (`http.port: 0`, `--http-port 0`), or was started with another `--http-port` than
 * doctor was given. Doctor's device checks are then of devices and simulators it opened itself,
 * which say nothing of that desk's: the report says so, and how to find the desk.
 */
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { instanceLockHolder } from '../../gateway/storage/index.js';
import type { CarrelConfig } from '../config.js';
import { databasePath } from '../storage-feature.js';
import type { RunningCarrel } from './ports.js';

export function checkUnfoundDesk(
  config: CarrelConfig,
  env: NodeJS.ProcessEnv,
  running: RunningCarrel | undefined,
): DoctorCheck[] {
  if (running) return [];
  const database = databasePath(config.storage.path, env);
  const pid = instanceLockHolder(database);
  if (pid === undefined) return [];
  const { host, port } = config.http;
  const looked =
    port === 0
      ? 'http.port is 0, a port chosen at start'
      : `nothing answered /readyz as Carrel on ${host}:${port}`;
  return [
    doctorCheck(
      'running Carrel',
      'warn',
      `a Carrel (process ${pid}) is running on ${database}, but doctor did not find its API: ${looked}. ` +
        "The device checks above are of connections and simulators doctor made itself, not of that desk's",
      `run carrel doctor with --http-port N, N the port of the API that Carrel named on start-up ` +
        `(its start-up banner: "API http://…:N/api/v1"; \`ss -ltnp\` lists the ports process ${pid} listens on)`,
    ),
  ];
}
