/**
 * Are the ports Carrel listens on free, or held by a running Carrel? A port in
 * use is a pass only when the process on the HTTP port answers /readyz as
 * Carrel does; the MQTT and SIP2 relay ports of the same configuration are then
 * taken to be that Carrel's too — its MQTT broker where it says it listens, which
 * is not the configured port when chosen at start or moved off a taken one.
 */
import { request } from 'node:http';
import { type ListenProbe, probeListen } from '../../core/net.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import type { CarrelConfig } from '../config.js';

/** What the running Carrel said on /readyz: its device checks, read instead of opening the devices again. */
export interface RunningCarrel {
  url: string;
  ready: boolean;
  checks: Array<{ name: string; ok: boolean; detail?: string }>;
  /** Where its embedded MQTT broker listens, as it says (an older Carrel does not say). */
  mqtt?: string;
  /**
   * The full path of its database, as it says to a caller with the monitor scope (doctor sends
   * the configuration's monitor or admin token; a desk without tokens says it to this machine).
   */
  database?: string;
}

export interface PortCheckOptions {
  /** The built-in simulated desk (no configuration file): its ports are moved with `carrel start`'s options. */
  simulatedDesk?: boolean;
  /** The MQTT port was given as `--mqtt-port`: `carrel start` so given does not move its broker. */
  mqttPortGiven?: boolean;
}

export async function checkPorts(
  config: CarrelConfig,
  timeoutMs: number,
  options: PortCheckOptions = {},
): Promise<{ checks: DoctorCheck[]; running: RunningCarrel | undefined }> {
  const simulatedDesk = options.simulatedDesk ?? false;
  const checks: DoctorCheck[] = [];
  const { host, port } = config.http;
  let running: RunningCarrel | undefined;
  const http = await probeListen(host, port);
  const token = monitorToken(config);
  if (http === 'in-use') running = await askCarrel(host, port, timeoutMs, token);
  const notCarrel = `it does not answer /readyz as Carrel does${token === undefined ? '' : " (the configuration's monitor token was not sent to it)"}`;
  checks.push(
    portCheck(
      `HTTP port ${port}`,
      host,
      port,
      http,
      running,
      simulatedDesk ? '--http-port' : 'http.port',
      notCarrel,
    ),
  );
  if (config.mqtt.mode === 'embedded') {
    const mqtt = config.mqtt;
    const bind = await probeListen(mqtt.host, mqtt.port);
    const name = `MQTT port ${mqtt.port}`;
    const listening = portOf(running?.mqtt);
    if (running && listening !== undefined && listening !== mqtt.port)
      // The running Carrel says where its broker is: a port it chose at start, or moved to.
      checks.push(movedBroker(name, mqtt, bind, running, listening, simulatedDesk));
    // `carrel start` moves the simulated desk's broker to a free port when this one is taken (a
    // Mosquitto of this machine): no failure, but kiosks dialling this port would not reach Carrel.
    else if (simulatedDesk && !options.mqttPortGiven && bind === 'in-use' && !running)
      checks.push(
        doctorCheck(
          name,
          'warn',
          `${mqtt.host}:${mqtt.port} is in use by another process (a Mosquitto of this machine?): the simulated desk's MQTT broker will listen on a free port instead, which carrel start names when it starts`,
          `to have it on a port of your choosing, start it with carrel start --mqtt-port N; see what holds ${mqtt.port} with \`ss -ltnp 'sport = :${mqtt.port}'\``,
        ),
      );
    else
      checks.push(
        portCheck(name, mqtt.host, mqtt.port, bind, running, simulatedDesk ? '--mqtt-port' : 'mqtt.port'),
      );
  }
  if (config.sip2Relay) {
    const relay = config.sip2Relay;
    checks.push(
      portCheck(
        `SIP2 relay port ${relay.port}`,
        relay.host,
        relay.port,
        await probeListen(relay.host, relay.port),
        running,
        'sip2Relay.port',
      ),
    );
  }
  return { checks, running };
}

/**
 * The running Carrel's broker is not on the configured port: one chosen at start (port 0), the
 * simulated desk's moved off a taken port, or a Carrel started with another --mqtt-port. Started so
 * on purpose, with nothing else on the configured port, it is where IT put it: a pass naming where
 * clients reach it. Only another process on the configured port — which a client dialling it
 * reaches instead of Carrel — is warned of.
 */
function movedBroker(
  name: string,
  mqtt: { host: string; port: number },
  bind: ListenProbe,
  running: RunningCarrel,
  listening: number,
  simulatedDesk: boolean,
): DoctorCheck {
  const where = `${mqtt.host}:${listening}`;
  if (mqtt.port === 0)
    return doctorCheck(
      name,
      'pass',
      `${where} is held by the running Carrel (${running.url}), a port it chose at start`,
    );
  if (bind === 'free')
    return doctorCheck(
      name,
      'pass',
      `the running Carrel (${running.url}) has its MQTT broker on ${where}, the port it was started with (carrel start --mqtt-port, or mqtt.port as it was then); nothing else listens on ${mqtt.port}: kiosks and other MQTT clients of this desk reach it at ${running.mqtt}`,
    );
  const taken =
    bind === 'in-use'
      ? `: ${mqtt.host}:${mqtt.port} is held by another process (a Mosquitto of this machine?)`
      : '';
  return doctorCheck(
    name,
    'warn',
    `the running Carrel (${running.url}) has its MQTT broker on ${where}, not on ${mqtt.port}${taken}`,
    [
      `kiosks and other MQTT clients of this desk reach it at ${running.mqtt} until Carrel restarts`,
      simulatedDesk
        ? 'to have it on a port of your choosing, start it with carrel start --mqtt-port N'
        : 'restart Carrel to have it on mqtt.port (it was started with another --mqtt-port, or the file changed since)',
      ...(bind === 'in-use' ? [`see what holds ${mqtt.port} with \`ss -ltnp 'sport = :${mqtt.port}'\``] : []),
    ].join('; '),
  );
}

/** The port of a broker URL the running Carrel gave; undefined when it gave none. */
function portOf(url: string | undefined): number | undefined {
  if (url === undefined) return undefined;
  try {
    const port = Number(new URL(url).port);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

function portCheck(
  name: string,
  host: string,
  port: number,
  bind: ListenProbe,
  running: RunningCarrel | undefined,
  setting: string,
  /** Why the process holding the port is taken not to be Carrel, when that is known. */
  notCarrel?: string,
): DoctorCheck {
  if (port === 0) return doctorCheck(name, 'skip', 'port 0: a free port is chosen at start');
  const where = `${host}:${port}`;
  if (bind === 'free') return doctorCheck(name, 'pass', `${where} is free`);
  if (bind === 'in-use') {
    if (running) return doctorCheck(name, 'pass', `${where} is held by the running Carrel (${running.url})`);
    return doctorCheck(
      name,
      'fail',
      `${where} is in use by a process that is not Carrel${notCarrel ? `: ${notCarrel}` : ''}`,
      `see which with \`ss -ltnp 'sport = :${port}'\`; stop it or ${setting.startsWith('--') ? `start Carrel with ${setting} and a free port` : `set ${setting} to a free port`}`,
    );
  }
  return doctorCheck(
    name,
    'fail',
    `cannot listen on ${where}: ${bind.error}`,
    `check ${setting} and the host it listens on`,
  );
}

/** A token of the configuration that may read what /readyz tells monitoring only (its database). */
export function monitorToken(config: CarrelConfig): string | undefined {
  return config.auth.tokens.find((t) => t.scopes.includes('monitor') || t.scopes.includes('admin'))?.token;
}

/**
 * Asks the process on the HTTP port for /readyz; a Carrel answers with its checks, the gateway's
 * first. With `token` (the desk's own), it says where its database is: the token is sent only once
 * the listener has answered as Carrel without it, never to another program holding the port.
 */
export async function askCarrel(
  host: string,
  port: number,
  timeoutMs: number,
  token?: string,
): Promise<RunningCarrel | undefined> {
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
  const anyone = await readiness(url, timeoutMs);
  if (anyone === undefined || token === undefined) return anyone;
  return (await readiness(url, timeoutMs, token)) ?? anyone;
}

/** `GET /readyz` as Carrel answers it, or undefined when what answered is not Carrel. */
async function readiness(url: string, timeoutMs: number, token?: string): Promise<RunningCarrel | undefined> {
  const body = (await getJson(
    `${url}/readyz`,
    timeoutMs,
    token === undefined ? {} : { authorization: `Bearer ${token}` },
  )) as
    | (Partial<RunningCarrel> & { listening?: { mqtt?: unknown }; storage?: { database?: unknown } })
    | undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const checks = Array.isArray(body.checks) ? body.checks : [];
  if (typeof body.ready !== 'boolean' || checks[0]?.name !== 'gateway') return undefined;
  const mqtt = body.listening?.mqtt;
  const database = body.storage?.database;
  return {
    url,
    ready: body.ready,
    checks,
    ...(typeof mqtt === 'string' && { mqtt }),
    ...(typeof database === 'string' && { database }),
  };
}

/** More than any /readyz of Carrel says; a listener sending more is not Carrel. */
const READYZ_MAX_BYTES = 1024 * 1024;

/**
 * The JSON body of a GET, whatever its status (/readyz answers 503 while the desk is not ready),
 * or undefined: no answer within `timeoutMs`, the connection closed or refused, a redirect (Carrel's
 * /readyz never redirects: the token stays here), a body too long or not JSON. It always settles.
 * Node 20's fetch did not: a listener that took the connection and closed it at once left it
 * waiting for ever, and its abort timer, which does not keep the process alive, never came — the
 * command ended there with exit 0 and nothing said. node:http says "socket hang up", and the
 * deadline here is an ordinary timer, which keeps the process alive until it fires.
 */
async function getJson(url: string, timeoutMs: number, headers: Record<string, string>): Promise<unknown> {
  const answer = await getText(url, timeoutMs, { accept: 'application/json', ...headers });
  if (answer === undefined) return undefined;
  try {
    return JSON.parse(answer.body);
  } catch {
    return undefined;
  }
}

/**
 * The body of a GET as text, with its status, or undefined: no answer within `timeoutMs`, the
 * connection closed or refused, a redirect, a body over READYZ_MAX_BYTES. It always settles.
 */
export function getText(
  url: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: { status: number; body: string } | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      asked.destroy();
      resolve(value);
    };
    const deadline = setTimeout(() => settle(undefined), timeoutMs);
    const asked = request(url, { headers, agent: false });
    asked.on('error', () => settle(undefined));
    asked.on('close', () => settle(undefined));
    asked.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) return settle(undefined);
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > READYZ_MAX_BYTES) return settle(undefined);
        chunks.push(chunk);
      });
      response.on('error', () => settle(undefined));
      response.on('end', () => settle({ status, body: Buffer.concat(chunks).toString('utf8') }));
    });
    asked.end();
  });
}
