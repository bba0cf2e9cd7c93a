import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenConfig } from '../../src/api/http/auth.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import type { Clock } from '../../src/core/clock.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import type { IlsDeviceConfig } from '../../src/gateway/families/ils/index.js';

export interface TestDesk {
  desk: Desk;
  /** `http://127.0.0.1:PORT`, without /api/v1. */
  api: string;
  /** The desk's SQLite file. */
  databasePath: string;
  stop(): Promise<void>;
}

/**
 * The simulated desk as `carrel start` runs it, on free ports, with its
 * database in a fresh temporary folder. `change` adjusts the config; `clock` is the desk's (the
 * system's when absent).
 */
export async function startTestDesk(
  change: (config: CarrelConfig) => CarrelConfig = (c) => c,
  logger: Logger = silentLogger(),
  clock?: Clock,
): Promise<TestDesk> {
  const stateDir = mkdtempSync(join(tmpdir(), 'carrel-desk-'));
  const base = defaultDeskConfig();
  const changed = change({
    ...base,
    // The simulated gate is online from its first frame, a keep-alive every 5 s by default: each
    // test waiting for the gate online (a dozen files) waited those 5 s. It says it is there
    // every second; the device's 15 s keep-alive timeout and what is tested of it are the same.
    simulators: base.simulators.map((simulator) =>
      simulator.kind === 'gate' ? { ...simulator, keepAliveSeconds: 1 } : simulator,
    ),
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
    storage: { ...base.storage, path: join(stateDir, 'carrel.db') },
  });
  let config: CarrelConfig;
  try {
    config = withoutStrayIls(changed);
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const desk = await createDesk({ config, logger, version: 'test', ...(clock ? { clock } : {}) });
  await desk.start();
  return {
    desk,
    api: desk.urls().api!.replace(/\/api\/v1$/, ''),
    databasePath: config.storage.path ?? join(stateDir, 'carrel.db'),
    async stop() {
      await desk.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * The configuration as it is, unless an ILS simulator in it serves no ILS link of the desk: the
 * trap of replacing `simulators` from the configuration before withIlsAt, which brings the desk's
 * own ILS simulator back — linked to nothing, yet the one `simulators.handle(ilsSimulators, …)`
 * gives, so faults set on it change nothing the desk sees. Refused, in words.
 */
function withoutStrayIls(config: CarrelConfig): CarrelConfig {
  const used = new Set(
    config.devices.flatMap((device) =>
      device.kind === 'ils' && device.transport.type === 'simulator' ? [device.transport.simulator] : [],
    ),
  );
  const stray = config.simulators.find((simulator) => simulator.kind === 'ils' && !used.has(simulator.id));
  if (stray !== undefined)
    throw new Error(
      `the ILS simulator "${stray.id}" would start with no ILS link of the desk using it (withIlsAt aimed it elsewhere): make \`simulators\` from withIlsAt's result, not from the configuration before it`,
    );
  return config;
}

/**
 * Waits (bounded) until the device's health record says `status`. A desk with tokens needs one
 * that may read it (`token`); a refusal fails at once, rather than after the whole wait.
 */
export async function waitForDevice(
  api: string,
  device: string,
  status: string,
  timeoutMs = 10_000,
  token?: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  for (;;) {
    const response = await fetch(`${api}/api/v1/devices/${device}`, { headers });
    if (response.status === 401 || response.status === 403)
      throw new Error(
        `${device}'s health record was refused ${response.status}: ${
          token ? 'the token given may not read it' : 'this desk has tokens; give waitForDevice one'
        }`,
      );
    const state = (await response.json()) as {
      status?: string;
      reason?: string | null;
      lastError?: { code: string; message: string; at: string } | null;
      reconnects?: number;
    };
    if (state.status === status) return;
    if (performance.now() > deadline) {
      // Why, as the health record says: a failure in CI is then read without running it again.
      const why = [
        state.reason ? `reason: ${state.reason}` : undefined,
        state.lastError
          ? `last error ${state.lastError.code} at ${state.lastError.at}: ${state.lastError.message}`
          : undefined,
        `reconnects: ${state.reconnects ?? 0}`,
      ].filter(Boolean);
      throw new Error(
        `${device} is ${state.status}, not ${status}, after ${timeoutMs} ms (${why.join('; ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The desk with `tokens` as its API tokens — each a name (who holds it, for the logs), the token a
 * test sends and its scopes — in place of any it had: with tokens configured, every caller needs one.
 */
export function withTokens(config: CarrelConfig, tokens: readonly TokenConfig[]): CarrelConfig {
  return { ...config, auth: { tokens: tokens.map((token) => ({ ...token, scopes: [...token.scopes] })) } };
}

/** The desk's ILS device with `change` applied to it (its transport, timeouts…). */
export function withIls(
  config: CarrelConfig,
  change: (ils: IlsDeviceConfig) => IlsDeviceConfig,
): CarrelConfig {
  return {
    ...config,
    devices: config.devices.map((device) => (device.kind === 'ils' ? change(device) : device)),
  };
}

/**
 * The desk's ILS link aimed at an ILS of the test's own (SIP2 over TCP on `port`), instead of the
 * desk's built-in ILS simulator, which is not started; `change` adjusts the link further.
 */
export function withIlsAt(
  config: CarrelConfig,
  port: number,
  change: (ils: IlsDeviceConfig) => IlsDeviceConfig = (ils) => ils,
): CarrelConfig {
  return {
    ...withIls(config, (ils) => change({ ...ils, transport: { type: 'tcp', host: '127.0.0.1', port } })),
    simulators: config.simulators.filter((s) => s.kind !== 'ils'),
  };
}

/** The desk's ILS device. */
export function ilsOf(config: CarrelConfig): IlsDeviceConfig {
  const ils = config.devices.find((device): device is IlsDeviceConfig => device.kind === 'ils');
  if (!ils) throw new Error('this desk has no ILS');
  return ils;
}

/**
 * The desk's print queue reached at `url` (a proxy in front of the print server, a print server of
 * the test's own), polled every 200 ms with a 1-s IPP timeout: a server gone is seen quickly.
 */
export function printQueueAt(config: CarrelConfig, url: string): CarrelConfig {
  return {
    ...config,
    devices: config.devices.map((d) =>
      d.kind === 'print-queue'
        ? { ...d, pollIntervalMs: 200, transport: { type: 'ipp' as const, url, timeoutMs: 1000 } }
        : d,
    ),
  };
}

/**
 * A second FEIG gate in notification mode, `exit-2`, dialling the desk from 127.0.0.2 to `listen`,
 * no acknowledgements, alarming on the secured AFI (0x07) as the simulated desk's exit-1 does;
 * `more` adds its name and how long it may be silent before it counts as offline.
 */
export function secondExitGate(
  listen: { host: string; port: number },
  more: { name?: string; keepAliveTimeoutSeconds: number },
): CarrelConfig['devices'][number] {
  return {
    id: 'exit-2',
    kind: 'gate',
    ...(more.name !== undefined && { name: more.name }),
    driver: 'feig-notification',
    listen,
    address: '127.0.0.2',
    keepAliveTimeoutSeconds: more.keepAliveTimeoutSeconds,
    ack: false,
    reports: 'secured',
    visitors: { countIntervalSeconds: 0, dailyReset: '00:00', retentionDays: 400 },
    alarm: {
      method: 'afi',
      securedAfi: 0x07,
      ignore: [],
      repeatSeconds: 3,
      ilsTimeoutMs: 1000,
      historyDays: 90,
    },
  };
}

/**
 * The desk's print server printing a page every 150 ms and its queue followed every 100 ms: a
 * released job can be caught while it prints (refunded, jammed, cancelled at the printer).
 */
export function slowPrinting(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 150 } : s)),
    devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
  };
}

/**
 * The desk's print server printing a page every 5 ms and its queue followed every 100 ms: a job
 * released is printed and settled within moments (the tests of what is shown of a job printed).
 */
export function fastPrinting(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 5 } : s)),
    devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
  };
}

/**
 * Print-account transfers to the patron's ILS account over Koha's REST API, at the simulated ILS's
 * control URL (its Koha endpoints; the sample fixture's client and secret).
 */
export function kohaTransferAt(controlUrl: string) {
  return {
    kind: 'koha-rest' as const,
    url: controlUrl,
    clientId: 'carrel-desk',
    clientSecret: 'carrel-desk-secret',
    debitType: 'MANUAL',
    timeoutMs: 10_000,
  };
}

/** A JSON answer, read loosely: the tests say which fields they expect. */
// biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
export type Json = any;

/** `call(method, path, body?)` on the API at `api()` (read at each call): its status and JSON body. */
export function jsonCaller(api: () => string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${api()}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
}
