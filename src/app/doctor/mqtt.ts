/**
 * Does the MQTT broker answer? An external broker is dialled with the
 * configured credentials (never shown), unless this desk's Carrel is running:
 * then it is asked (its /readyz names an MQTT link that is down), because a
 * second login as the desk's user takes the running desk's session over where
 * the broker makes the user name the client id (`use_username_as_clientid`,
 * docs/fleet.md) — the broker then publishes the desk's last will, and every
 * dashboard sees the desk go offline. The embedded broker exists only while
 * Carrel runs, so it is dialled when a running Carrel was found. An MQTT
 * refusal (CONNACK with an error) still proves a broker is there.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  brokerRefusalOf,
  brokerUnreachableOf,
  closedBeforeLoginAnswered,
} from '../../api/mqtt/broker-refusal.js';
import {
  brokerLogin,
  mqttBrokerUrlFor,
  mqttConnectionFor,
  redactBrokerUrl,
} from '../../api/mqtt/connection.js';
import { CarrelTopics } from '../../api/mqtt/topics.js';
import { UNRESOLVED_NAME_CODES, unresolvedNameHint } from '../../core/errors.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import type { CarrelConfig } from '../config.js';
import type { RunningCarrel } from './ports.js';

type Outcome =
  | {
      connected: true;
      /** What the probe found wrong once connected (the broker drops the desk's publishes). */
      undelivered?: string;
    }
  | {
      connected: false;
      refused: boolean;
      reason: string;
      error?: Error & { code?: unknown };
      /** The connection closed before any answer to the login, and with no error. */
      closed?: true;
    };

export async function checkMqtt(
  config: CarrelConfig,
  running: RunningCarrel | undefined,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const name = 'MQTT broker';
  const { mqtt } = config;
  if (mqtt.mode === 'off') return doctorCheck(name, 'skip', 'mqtt.mode is off');
  const url = mqttBrokerUrlFor(mqtt)!;
  const shown = redactBrokerUrl(url);
  if (mqtt.mode === 'embedded') {
    if (!running)
      return doctorCheck(
        name,
        'skip',
        `embedded: it starts with Carrel on ${shown} (its port is checked above)`,
      );
    // Where the running Carrel says its broker listens: a port it chose, or moved to off a taken one.
    const listening = running.mqtt ?? url;
    const outcome = await dial(listening, { protocolVersion: 4 }, timeoutMs);
    if (outcome.connected || outcome.refused)
      return doctorCheck(name, 'pass', `the running Carrel's embedded broker answers on ${listening}`);
    return doctorCheck(
      name,
      'fail',
      `the embedded broker on ${listening} does not answer: ${outcome.reason}`,
      "see the running Carrel's log (journalctl -u carrel)",
    );
  }
  if (running) {
    const down = running.checks.find((check) => check.name === 'feature:mqtt' && !check.ok);
    if (down) {
      const said = down.detail ?? 'MQTT failed';
      // A refusal (its login, its TLS) comes with what to mend and when it is dialled next.
      const refused = said.includes('trying again at');
      // Connected, but another desk publishes as this one (the same site and gateway).
      const twin = said.startsWith('another desk publishes as');
      // Connected, but its own state does not come back: the broker's ACL drops its publishes.
      const dropped = said.includes("did not deliver this desk's own");
      return doctorCheck(
        name,
        'fail',
        `the running Carrel (${running.url}) says: ${said}`,
        dropped
          ? "let the desk's MQTT user write and read its tree in the broker's ACL (carrel mqtt acl prints the lines) and reload the broker; the running Carrel sees its state come back within a minute, with no restart"
          : twin
            ? "give one of the two desks another gateway in its configuration and restart it (the broker's log names the clients' addresses)"
            : refused
              ? 'mend what it says; the running Carrel dials again by itself at the time it gives, with no restart'
              : 'check that the broker runs, on the host and port in mqtt.url, and that no firewall is in the way',
      );
    }
    return doctorCheck(
      name,
      'pass',
      `the running Carrel (${running.url}) is connected to ${shown} (not dialled as the desk's user: that would take its session over)`,
    );
  }
  // The desk's own settings: its MQTT version, its login, and the TLS files its link reads (a broker
  // asking for a client certificate refused a doctor that sent none, while the desk itself connected).
  const connection = mqttConnectionFor(mqtt)!;
  const options: IClientOptions = { protocolVersion: connection.protocolVersion };
  try {
    Object.assign(options, await brokerLogin(connection));
  } catch (error) {
    return doctorCheck(name, 'fail', (error as Error).message, 'check the path and its permissions');
  }
  const topics = new CarrelTopics(config.site, config.gateway);
  const outcome = await dial(url, options, timeoutMs, (client) =>
    deliversOwnPublish(client, topics, Math.min(timeoutMs, PROBE_ECHO_MS)),
  );
  if (outcome.connected) {
    if (outcome.undelivered === undefined)
      return doctorCheck(
        name,
        'pass',
        `${shown} accepts the desk's connection and delivers what it publishes under ${topics.base}`,
      );
    const user = connection.username === undefined ? '' : ` "${connection.username}"`;
    return doctorCheck(
      name,
      'fail',
      `${shown} takes the desk's login but ${outcome.undelivered}: its ACL does not let the desk's user write (or read) ${topics.base}/#, so the desk would run and dashboards and the fleet view would see no state of it (over MQTT 3.1.1 a broker drops a refused publish without a word)`,
      `let the desk's MQTT user${user} write and read ${topics.base}/# in the broker's ACL (carrel mqtt acl prints the lines) and reload the broker`,
    );
  }
  // Refused: in the words the running desk would say it in (its log, /readyz).
  const refusal = outcome.error && brokerRefusalOf(outcome.error, connection);
  if (refusal)
    return doctorCheck(
      name,
      'fail',
      `${shown}: ${refusal.what}`,
      refusal.todo ??
        (refusal.kind === 'login'
          ? "check mqtt.username and mqtt.password and the broker's ACL (carrel mqtt acl)"
          : "check the broker's TLS settings and mqtt.caFile, mqtt.certFile and mqtt.keyFile"),
    );
  const closed = closedBeforeLoginAnswered(outcome.closed ? undefined : outcome.error);
  if (closed) return doctorCheck(name, 'fail', `${shown}: ${closed.what}`, closed.todo);
  if (outcome.refused)
    return doctorCheck(
      name,
      'fail',
      `${shown} refuses the desk: ${outcome.reason}`,
      "check mqtt.username and mqtt.password and the broker's ACL (carrel mqtt acl)",
    );
  return doctorCheck(
    name,
    'fail',
    `${shown} cannot be reached: ${unreachable(outcome)}`,
    UNRESOLVED_NAME_CODES.has(String(outcome.error?.code ?? '').toLowerCase())
      ? unresolvedNameHint('mqtt.url')
      : 'check that the broker runs, on the host and port in mqtt.url, and that no firewall is in the way',
  );
}

/** Why the broker could not be reached: "nothing listens on 10.0.0.5:1883" rather than ECONNREFUSED. */
function unreachable(outcome: { reason: string; error?: Error & { code?: unknown } }): string {
  return outcome.error ? brokerUnreachableOf(outcome.error) : outcome.reason;
}

/** How long a probe doctor publishes under the desk's base may take to come back (the desk waits 5 s for its own state). */
const PROBE_ECHO_MS = 5000;

/**
 * Does the broker deliver what the desk publishes under its base back to it? As the desk checks
 * its own state once connected (src/api/mqtt/own-state.ts), but without touching that state: a
 * message, not retained, in a client area of the desk's tree that no kiosk reads. Undefined when
 * it came back; otherwise what did not happen, in words.
 */
async function deliversOwnPublish(
  client: MqttClient,
  topics: CarrelTopics,
  echoMs: number,
): Promise<string | undefined> {
  const topic = topics.response(`carrel-doctor-${process.pid}`, 'doctor.probe').name;
  const payload = JSON.stringify({ doctor: process.pid, at: Date.now() });
  const notDelivered = `did not deliver what the desk publishes under ${topics.base} back to it`;
  const granted = await client.subscribeAsync(topic, { qos: 1 }).catch(() => undefined);
  // MQTT 3.1.1 grants 0x80 for a refused filter; MQTT 5 a reason code from 0x80.
  if (!granted || granted.some((grant) => grant.qos >= 0x80))
    return `${notDelivered}: it refused the desk's subscription to ${topic}`;
  const echoed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), echoMs);
    client.on('message', (arrived, body) => {
      if (arrived !== topic || body.toString() !== payload) return;
      clearTimeout(timer);
      resolve(true);
    });
  });
  // MQTT 5 answers a refused QoS 1 publish (0x87, not authorized); 3.1.1 drops it unsaid.
  const refused = await client.publishAsync(topic, payload, { qos: 1 }).then(
    () => undefined,
    (error: Error) => error.message,
  );
  if (refused !== undefined) return `${notDelivered}: it refused the publish (${refused})`;
  if (await echoed) return undefined;
  return `${notDelivered} within ${Math.round(echoMs / 1000)} s`;
}

async function dial(
  url: string,
  options: IClientOptions,
  timeoutMs: number,
  probe?: (client: MqttClient) => Promise<string | undefined>,
): Promise<Outcome> {
  const mqtt = await import('mqtt');
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      ...options,
      clientId: `carrel-doctor-${process.pid}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
    });
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(outcome);
    };
    let timer = setTimeout(
      () => finish({ connected: false, refused: false, reason: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
    client.on('connect', () => {
      if (!probe) return finish({ connected: true });
      // Connected: the probe's subscription and publish get the deadline again.
      clearTimeout(timer);
      timer = setTimeout(
        () => finish({ connected: true, undelivered: `did not answer the desk's probe in ${timeoutMs} ms` }),
        timeoutMs + PROBE_ECHO_MS,
      );
      probe(client).then(
        (undelivered) =>
          finish(undelivered === undefined ? { connected: true } : { connected: true, undelivered }),
        (error: Error) => finish({ connected: true, undelivered: `could not be probed: ${error.message}` }),
      );
    });
    client.on('error', (error: Error & { code?: unknown }) =>
      finish({ connected: false, refused: typeof error.code === 'number', reason: error.message, error }),
    );
    client.on('close', () =>
      finish({ connected: false, refused: false, reason: 'connection closed', closed: true }),
    );
  });
}
