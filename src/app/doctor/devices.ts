/**
 * The configured devices, each by its own family: a family with a doctor hook
 * (the ILS) runs its checks; every other device's entry is started as the desk
 * would start it, and its status reported once it settles or the deadline
 * passes. The desk's simulators are started first, as `carrel start` does.
 * When a running Carrel holds the HTTP port its devices' statuses are read from
 * its /readyz instead: it holds the serial ports and printers already.
 */
import type { Clock } from '../../core/clock.js';
import { UNRESOLVED_NAME_CODES, unresolvedNameHint } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import type { DeviceRegistry } from '../../gateway/devices/registry.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { EventBus } from '../../gateway/event-bus.js';
import type { AnyDeviceFamily } from '../../gateway/family.js';
import { type Database, openDatabase } from '../../gateway/storage/index.js';
import type { CarrelConfig } from '../config.js';
import { createDevices } from '../desk.js';
import { DEVICE_FAMILIES, SIMULATOR_FAMILIES } from '../families.js';
import { SimulatorsFeature } from '../simulators-feature.js';
import type { RunningCarrel } from './ports.js';

export interface DeviceCheckOptions {
  clock: Clock;
  timeoutMs: number;
  running: RunningCarrel | undefined;
}

export async function checkDevices(
  config: CarrelConfig,
  options: DeviceCheckOptions,
): Promise<DoctorCheck[]> {
  if (config.devices.length === 0) return [doctorCheck('devices', 'skip', 'no device is configured')];
  const families = new Map<string, AnyDeviceFamily>(DEVICE_FAMILIES.map((family) => [family.kind, family]));
  const logger = silentLogger();
  let registry: DeviceRegistry | undefined;
  const simulators = new SimulatorsFeature(config.simulators, SIMULATOR_FAMILIES, logger, {
    listening: (id) => registry?.listening(id),
  });
  try {
    await simulators.start();
  } catch (error) {
    // The ones that could start run on (a desk's devices start with them): doctor lets them go.
    await simulators.stop();
    // The running Carrel's simulators hold their fixed ports: what it says of its devices is the answer.
    if (options.running) return config.devices.map((device) => fromRunning(device.id, options.running!));
    return [
      doctorCheck(
        'simulators',
        'fail',
        `the configured simulators cannot start: ${(error as Error).message}`,
        'check the simulators section (a fixed port already in use?)',
      ),
    ];
  }
  const checks: DoctorCheck[] = [];
  let database: Database | undefined;
  try {
    const context = {
      clock: options.clock,
      simulators: (id: string) => simulators.address(id),
      timeoutMs: options.timeoutMs,
    };
    // A running Carrel's simulators are in its own process: a hook would check doctor's copy of one,
    // not the simulator the desk uses, so such a device is read from the running Carrel as the rest.
    const hooked = (device: (typeof config.devices)[number]) =>
      families.get(device.kind)?.doctor !== undefined && !(options.running && onSimulator(device));
    for (const device of config.devices) {
      const family = families.get(device.kind);
      if (family?.doctor && hooked(device)) checks.push(...(await family.doctor(device, context)));
    }
    const probed = config.devices.filter((device) => !hooked(device));
    if (probed.length === 0) return checks;
    if (options.running) {
      for (const device of probed) checks.push(fromRunning(device.id, options.running));
      return checks;
    }
    registry = await createDevices(config.devices, {
      bus: new EventBus(() => {}),
      clock: options.clock,
      logger,
      // Doctor never writes to the desk's own database: a device that keeps records keeps them here.
      database: () => {
        database ??= openDatabase(':memory:');
        return database;
      },
      simulators: (id) => simulators.address(id),
    });
    const built = registry;
    try {
      await built.start();
      const states = await settled(
        built,
        probed.map((device) => device.id),
        options,
      );
      for (const device of probed) {
        const family = families.get(device.kind);
        const hint = family?.degradedHint && ((state: DeviceState) => family.degradedHint?.(device, state));
        checks.push(fromState(device.id, states.get(device.id), hint));
      }
    } finally {
      await built.stop();
    }
    return checks;
  } finally {
    await simulators.stop();
    database?.close();
  }
}

/**
 * Waits until every device is online or has failed to connect (offline for a
 * reason other than connecting), or the deadline passes: a degraded device may
 * still come online (a gate waiting for its reader to dial in).
 */
async function settled(
  registry: DeviceRegistry,
  ids: string[],
  options: DeviceCheckOptions,
): Promise<Map<string, DeviceState | undefined>> {
  const deadline = options.clock.monotonic() + options.timeoutMs;
  const isSettled = (state: DeviceState | undefined) =>
    state !== undefined &&
    (state.status === 'online' ||
      (state.status === 'offline' && state.reason !== 'connecting' && state.reason !== null));
  for (;;) {
    const states = new Map(ids.map((id) => [id, registry.state(id)]));
    if ([...states.values()].every(isSettled) || options.clock.monotonic() >= deadline) return states;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const DEGRADED_HINT = 'the device answers but reports a problem: see its reason';

/** `hint`: the device's family's words for what to check when it is degraded (`degradedHint`). */
function fromState(
  id: string,
  state: DeviceState | undefined,
  hint?: (state: DeviceState) => string | undefined,
): DoctorCheck {
  const name = `device ${id}`;
  if (!state) return doctorCheck(name, 'fail', 'no state');
  const what = `${state.kind} ${state.status}${state.reason ? `: ${state.reason}` : ''}`;
  if (state.status === 'online') return doctorCheck(name, 'pass', what);
  if (state.status === 'degraded') return doctorCheck(name, 'warn', what, hint?.(state) ?? DEGRADED_HINT);
  return doctorCheck(
    name,
    'fail',
    state.reason === 'connecting' ? `${state.kind} did not answer in time` : what,
    UNRESOLVED_NAME_CODES.has(state.lastError?.code ?? '')
      ? unresolvedNameHint(`devices[${id}].transport.host`)
      : `check devices[${id}].transport, the cable and the device's power`,
  );
}

function fromRunning(id: string, running: RunningCarrel): DoctorCheck {
  const name = `device ${id}`;
  const check = running.checks.find((entry) => entry.name === `device:${id}`);
  if (!check)
    return doctorCheck(
      name,
      'warn',
      `the running Carrel (${running.url}) does not know it`,
      'restart Carrel to load this configuration',
    );
  const detail = `${check.detail ?? (check.ok ? 'online' : 'offline')} (from the running Carrel)`;
  if (!check.ok)
    return doctorCheck(
      name,
      'fail',
      detail,
      `check devices[${id}].transport, the cable and the device's power`,
    );
  if (check.detail?.startsWith('degraded')) return doctorCheck(name, 'warn', detail, DEGRADED_HINT);
  return doctorCheck(name, 'pass', detail);
}

/** A device whose transport is one of the configuration's simulators. */
function onSimulator(device: { transport?: unknown }): boolean {
  const transport = device.transport as { type?: unknown } | undefined;
  return transport?.type === 'simulator';
}
