import type { IClientOptions, MqttClient } from 'mqtt';
import { CarrelError, describeError } from '../../core/errors.js';
import { brokerRefusalOf, brokerUnreachableOf, closedBeforeLoginAnswered } from './broker-refusal.js';
import { brokerLogin, type MqttConnection, redactBrokerUrl } from './connection.js';
import type { CarrelTopics } from './topics.js';

export interface ForgetDeskOptions {
  connection: MqttConnection;
  topics: CarrelTopics;
  /** Clear the desk's topics even though its state on the broker says online. */
  force?: boolean;
  /** Gives up connecting after this long. */
  timeoutMs?: number;
  /** How long after the last retained message the broker is taken to have sent them all. */
  quietMs?: number;
  /**
   * How long to watch for the desk coming back before anything is cleared. A broker that names
   * clients by user (`use_username_as_clientid`) drops a running desk's session when its user logs
   * in here, and publishes its last will (offline): the desk's own state cannot then tell that it
   * runs. It reconnects within seconds (every second by default), dropping this session in turn.
   */
  watchMs?: number;
}

export interface ForgottenDesk {
  base: string;
  /** The retained topics cleared, in the order the broker sent them. */
  cleared: string[];
  /** What the desk's own `state` said before it was cleared (`offline`, `online`), if it had one. */
  lastStatus: string | undefined;
}

/**
 * Clears everything a desk keeps retained on an external broker — its `state`, `totals` and every
 * `devices/<id>/state` — for a desk taken out of service or renamed: without it the broker hands
 * the old desk to every dashboard and the fleet view for ever. Connects as the desk's own user (the
 * ACL lets it write its tree only), reads the retained messages under the desk's base until the
 * broker has sent them all, and publishes an empty retained message on each (MQTT's way to delete
 * one). A desk whose state says online is refused unless `force`: it is running somewhere.
 */
export async function forgetDesk(options: ForgetDeskOptions): Promise<ForgottenDesk> {
  const { connection, topics } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const quietMs = options.quietMs ?? 500;
  const watchMs = options.watchMs ?? 5000;
  const clientOptions: IClientOptions = {
    protocolVersion: connection.protocolVersion,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    clientId: `carrel-forget-${process.pid}`,
    ...(await brokerLogin(connection)),
  };
  const where = redactBrokerUrl(connection.url);
  const mqtt = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectOnce(mqtt.connect, connection.url, clientOptions);
  } catch (error) {
    // In the words the desk logs and `carrel doctor` says, naming the desk's settings.
    const failed = error as Error & { code?: unknown };
    const closed = closedBeforeLoginAnswered(error instanceof ClosedUnanswered ? undefined : failed);
    if (closed) throw new CarrelError('mqtt_connect_failed', `${where}: ${closed.what}: ${closed.todo}`);
    const refusal = failed instanceof Error ? brokerRefusalOf(failed, connection) : undefined;
    if (refusal)
      throw new CarrelError(
        refusal.kind === 'login' ? 'mqtt_refused' : 'mqtt_tls_refused',
        `${where}: ${refusal.said}`,
      );
    throw new CarrelError(
      'mqtt_connect_failed',
      `${where} cannot be reached: ${
        failed instanceof Error ? brokerUnreachableOf(failed) : describeError(error).message
      }: check that the broker runs, on the host and port in mqtt.url, and that no firewall is in the way`,
    );
  }
  try {
    const retained = new Map<string, Buffer>();
    let last = performance.now();
    let cameBack = false;
    client.on('close', () => {
      cameBack = true;
    });
    client.on('message', (topic, payload, packet) => {
      if (!topics.owns(topic) || payload.length === 0) return;
      if (!packet.retain) {
        if (topic === topics.state().name && statusOf(payload) === 'online') cameBack = true;
        return;
      }
      retained.set(topic, payload);
      last = performance.now();
    });
    const granted = await client.subscribeAsync(`${topics.base}/#`, { qos: 1 });
    if (granted.some((grant) => grant.qos > 2))
      throw new CarrelError(
        'mqtt_not_authorized',
        `${where} does not let this user read ${topics.base}/#: run it with the desk's own mqtt.username (carrel mqtt acl)`,
      );
    // The broker sends what it retains right after the subscription; a pause ends it.
    last = performance.now();
    const deadline = performance.now() + timeoutMs;
    while (performance.now() - last < quietMs && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));

    if (retained.size === 0) return { base: topics.base, cleared: [], lastStatus: undefined };
    const state = retained.get(topics.state().name);
    const lastStatus = state === undefined ? undefined : statusOf(state);
    if (lastStatus === 'online' && !options.force)
      throw new CarrelError(
        'desk_online',
        `${topics.base} is online on ${where}: stop that Carrel first (or --force, if it is gone without its last will)`,
      );
    // A desk that stopped cleanly said so itself (`offline` with `since`): no session was taken over
    // here. A last will (no `since`) may be the broker's answer to this very login: watch.
    if (!options.force && !(lastStatus === 'offline' && state !== undefined && sinceOf(state))) {
      const until = performance.now() + watchMs;
      while (!cameBack && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      if (cameBack)
        throw new CarrelError(
          'desk_online',
          `${topics.base} is online on ${where}: its Carrel came back on the broker (logging in as its user dropped it for a moment); stop that Carrel first`,
        );
    }
    const cleared: string[] = [];
    for (const topic of retained.keys()) {
      await client.publishAsync(topic, '', { qos: 1, retain: true });
      cleared.push(topic);
    }
    return { base: topics.base, cleared, lastStatus };
  } finally {
    await client.endAsync().catch(() => {});
  }
}

/** The connection was closed before the broker answered the login (CONNECT) with a CONNACK. */
class ClosedUnanswered extends Error {}

/**
 * The client once connected, or why not. mqtt's connectAsync never settles when the connection is
 * closed before any answer and without an error (a TLS listener dialled without TLS, a broker at
 * its connection limit, another program on the port): it waits for a reconnect, and with
 * reconnectPeriod 0 none comes, nothing is left to wait on and the command ended there, exit 0.
 */
function connectOnce(
  connect: (url: string, options: IClientOptions) => MqttClient,
  url: string,
  options: IClientOptions,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, options);
    const settle = (error?: Error) => {
      client.off('connect', connected);
      client.off('error', settle);
      client.off('close', closed);
      if (error === undefined) return resolve(client);
      // What the dropped client may still say has no one to hear it: not an uncaught error.
      client.on('error', () => {});
      client.end(true);
      reject(error);
    };
    const connected = () => settle();
    const closed = () => settle(new ClosedUnanswered('closed before the broker answered'));
    client.on('connect', connected);
    client.on('error', settle);
    client.on('close', closed);
  });
}

function stateOf(payload: Buffer): { status?: unknown; since?: unknown } {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function statusOf(payload: Buffer): string | undefined {
  const { status } = stateOf(payload);
  return typeof status === 'string' ? status : undefined;
}

/** Whether a gateway state carries `since`: the desk wrote it itself (a last will cannot know it). */
function sinceOf(payload: Buffer): boolean {
  return typeof stateOf(payload).since === 'string';
}
