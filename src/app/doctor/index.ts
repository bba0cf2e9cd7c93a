/**
 * `carrel doctor`: every check, in the order IT staff would look — the
 * configuration, the ports, the device nodes and udev rules, the native
 * modules, the ILS (reachable, login, 98 status, clock skew) and every other
 * device, the MQTT broker, the state directory and database, the systemd unit.
 * Nothing fails silently and nothing secret is shown; the report is the same
 * for people and for scripts (`--json`).
 */
import { type Clock, systemClock } from '../../core/clock.js';
import { type DoctorCheck, type DoctorStatus, doctorCheck } from '../../gateway/doctor.js';
import { type PortOptions, withPortOptions } from '../port-options.js';
import { databasePath } from '../storage-feature.js';
import { checkConfig } from './config-check.js';
import { checkDeviceNodes, checkUdevRules } from './device-nodes.js';
import { checkDevices } from './devices.js';
import { checkMqtt } from './mqtt.js';
import { checkNativeModules } from './native-modules.js';
import { checkPorts, monitorToken } from './ports.js';
import { checkStorage } from './storage.js';
import { checkStorageFaults } from './storage-faults.js';
import { checkSystemd } from './systemd.js';
import { checkUnfoundDesk } from './unfound-desk.js';

export type { DoctorCheck, DoctorStatus } from '../../gateway/doctor.js';

export interface DoctorOptions {
  /** The configuration file; the simulated desk when undefined (as `carrel start`). */
  configPath: string | undefined;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** How long one device or broker may take to answer (10 s). */
  timeoutMs?: number;
  /**
   * `--http-port` and `--mqtt-port`, as given to the `carrel start` beside it: the desk is looked
   * for where it was started, not where its configuration puts it.
   */
  ports?: PortOptions;
  /** Told of each check as soon as it is made (the terminal prints as it goes). */
  onCheck?: (check: DoctorCheck) => void;
}

export interface DoctorReport {
  ok: boolean;
  config: string | null;
  summary: Record<DoctorStatus, number>;
  checks: DoctorCheck[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const checks: DoctorCheck[] = [];
  const add = (...found: DoctorCheck[]) => {
    for (const check of found) {
      checks.push(check);
      options.onCheck?.(check);
    }
  };
  const { check, config: configured } = checkConfig(options.configPath, env);
  // A --mqtt-port the configuration refuses (no broker of Carrel's) is refused before any check
  // is told: the refusal is then all doctor says, never printed after a PASS of the configuration.
  const config = configured && withPortOptions(configured, options.ports ?? {});
  add(check);
  if (config) {
    const ports = await checkPorts(config, timeoutMs, {
      simulatedDesk: options.configPath === undefined,
      mqttPortGiven: options.ports?.mqttPort !== undefined,
    });
    add(...ports.checks);
    add(...checkDeviceNodes(config));
    add(checkUdevRules(config));
    add(...(await checkNativeModules(config)));
    add(
      ...(await guarded('devices', () => checkDevices(config, { clock, timeoutMs, running: ports.running }))),
    );
    add(await checkMqtt(config, ports.running, timeoutMs));
    add(...checkUnfoundDesk(config, env, ports.running));
    add(
      ...checkStorage(config, env, {
        running: ports.running,
        simulatedDesk: options.configPath === undefined,
      }),
    );
    // The desk's own word on its writes: doctor's look at the disk is from this shell, not the desk's.
    if (ports.running)
      add(
        await checkStorageFaults(
          ports.running,
          monitorToken(config),
          timeoutMs,
          ports.running.database ?? databasePath(config.storage.path, env),
        ),
      );
  }
  add(await checkSystemd());
  const summary: Record<DoctorStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const found of checks) summary[found.status] += 1;
  return { ok: summary.fail === 0, config: options.configPath ?? null, summary, checks };
}

/** A check that throws is a failed check, not a crashed doctor. */
async function guarded(name: string, run: () => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (error) {
    return [doctorCheck(name, 'fail', `the check itself failed: ${(error as Error).message}`)];
  }
}
