import { createServer, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isLoopbackHost } from '../../core/net.js';
import { MqttFrameGuard } from './frame-guard.js';
import { RefusedPublishLog } from './refused-publish-log.js';

export interface EmbeddedBrokerOptions {
  /** Address to bind; loopback by default. Binding elsewhere needs `authenticate`. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /**
   * Accepts or refuses a CONNECT, and gives an accepted client its rules.
   * Without it every client is accepted and may publish and read anywhere.
   */
  authenticate?: (attempt: ConnectAttempt) => BrokerGrant;
  /** Concurrent connections at most; more are closed at once. */
  maxClients?: number;
  /** Largest MQTT packet accepted, in bytes; a client sending a bigger one is disconnected. */
  maxPacketSize?: number;
  /**
   * How long the session of a client gone without a clean session (`clean: false`) is kept: its
   * subscriptions and the QoS 1 messages queued for it. Then it is forgotten, as if it had
   * connected clean; until then every message for it is held in this process's memory.
   */
  sessionExpiryMs?: number;
  clock?: Clock;
}

/** One CONNECT, as the authenticate hook sees it. */
export interface ConnectAttempt {
  /** The client id (one aedes made up when the client sent none). */
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** True while a client with this id is connected. */
  connected(clientId: string): boolean;
}

/** What a connected client may do; every answer is false for what it may not. */
export interface ClientRules {
  mayPublish(topic: string): boolean;
  /** Why a PUBLISH `mayPublish` refused was refused, in words for the log; none when undefined. */
  whyNoPublish?(topic: string): string;
  /** False: a PUBLISH on `topic` is passed on with its retain flag cleared, never stored. */
  mayRetain(topic: string): boolean;
  /** False: the SUBSCRIBE is refused in the SUBACK (the client stays connected). */
  maySubscribe(filter: string): boolean;
  /** Why a SUBSCRIBE `maySubscribe` refused was refused, in words for the log; none when undefined. */
  whyNoSubscribe?(filter: string): string;
  /** False: a message on `topic` is not delivered to this client, whichever subscription matched it. */
  mayReceive(topic: string): boolean;
}

/**
 * What a CONNECT is granted: `true` accepts it with no rules (the gateway's own
 * client); rules accept it and are asked about each PUBLISH, SUBSCRIBE and
 * delivery of that connection; a refusal is answered in the CONNACK.
 */
export type BrokerGrant = true | ClientRules | BrokerRefusal;

/** `bad_credentials`: bad user name or password (4). `client_id_taken`: identifier rejected (2). */
export type BrokerRefusal = 'bad_credentials' | 'client_id_taken';

/**
 * The broker as the gateway in the same process sees it: publish and subscribe
 * straight on aedes, with no socket, no CONNECT and no publish rules (those are
 * for network clients; the gateway is this process). What `EmbeddedLink` uses.
 */
export interface LocalBroker {
  /** True once the broker is closing or closed. */
  readonly closed: boolean;
  /** Resolves once delivered to subscribers and, when retained, stored. */
  publish(message: { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean }): Promise<void>;
  /**
   * Calls `deliver` for every message published on `filter` (by network clients
   * past their publish rules, or in process). Resolves to the unsubscribe.
   */
  subscribe(
    filter: string,
    deliver: (message: { topic: string; payload: Buffer; retained: boolean }) => void,
  ): Promise<() => Promise<void>>;
  /** Calls `listener` once the broker has closed (at once if it has); returns the detach. */
  onClosed(listener: () => void): () => void;
}

export interface EmbeddedBroker {
  /** The bound address and port (the real one when 0 was asked). */
  readonly host: string;
  readonly port: number;
  /** In-process access for the gateway's own MqttApi. */
  readonly local: LocalBroker;
  /** Disconnects every client and stops listening. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_CLIENTS = 64;
export const DEFAULT_MAX_PACKET_SIZE = 256 * 1024;
/** A disconnected client's session is kept an hour: a kiosk's restart or network blip, not a client gone for good. */
export const DEFAULT_SESSION_EXPIRY_MS = 60 * 60 * 1000;

const REFUSAL_CODES = { client_id_taken: 2, bad_credentials: 4 } as const;
const NOT_AUTHORIZED = 5;

/**
 * The embedded MQTT broker (aedes 1.x on a plain TCP server). Bounded by default:
 * at most `maxClients` connections, packets of at most `maxPacketSize` bytes,
 * CONNECT within 10 s, slow readers dropped after 10 s.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.authenticate) {
    throw new CarrelError(
      'mqtt_insecure_bind',
      `refusing to bind the embedded MQTT broker to ${host} without authentication: configure auth.tokens or bind to 127.0.0.1`,
    );
  }
  const logger = options.logger.child({ module: 'mqtt-broker' });
  const maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  const rules = new WeakMap<Client, ClientRules>();
  const clock = options.clock ?? systemClock;
  const refusedPublishes = new RefusedPublishLog(logger, clock);
  const connectedIds = new Map<string, Client>();

  const broker = await Aedes.createBroker({
    connectTimeout: 10_000,
    drainTimeout: 10_000,
    heartbeatInterval: 60_000,
    maxTopicLevels: 32,
    authenticate(client, username, password, done) {
      let grant: BrokerGrant = true;
      try {
        grant = options.authenticate
          ? options.authenticate({
              clientId: client.id,
              username,
              password,
              connected: (clientId) => connectedIds.has(clientId),
            })
          : true;
      } catch (error) {
        logger.error({ err: describeError(error) }, 'MQTT authenticate hook failed');
        grant = 'bad_credentials';
      }
      if (typeof grant === 'string') {
        logger.info(
          { clientId: client.id, reason: grant },
          grant === 'client_id_taken'
            ? 'MQTT client refused: its client id belongs to another token'
            : 'MQTT client refused: bad credentials',
        );
        const error = new Error(
          grant === 'client_id_taken' ? 'identifier rejected' : 'bad username or password',
        ) as AuthenticateError;
        error.returnCode = REFUSAL_CODES[grant];
        done(error, false);
        return;
      }
      if (grant !== true) rules.set(client, grant);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const rule = client ? rules.get(client) : undefined;
      if (!rule) {
        done(null);
        return;
      }
      const allowed = safely(() => rule.mayPublish(packet.topic), logger, 'publish');
      if (allowed && packet.retain && !safely(() => rule.mayRetain(packet.topic), logger, 'retain')) {
        // A retained request would sit on the broker with its patron id and PIN for
        // every later subscriber: pass it on, but never store it.
        packet.retain = false;
        logger.debug({ clientId: client?.id }, 'MQTT retain flag cleared on a request');
      }
      if (allowed) {
        done(null);
      } else {
        // A kiosk set up with the wrong token or client id: IT sees it, once a minute, never the payload.
        refusedPublishes.refused(client?.id ?? '', packet.topic, () => rule.whyNoPublish?.(packet.topic));
        const error = new Error('not authorized') as AuthenticateError;
        error.returnCode = NOT_AUTHORIZED;
        done(error);
      }
    },
    authorizeSubscribe(client, subscription, done) {
      const rule = client ? rules.get(client) : undefined;
      const allowed = !rule || safely(() => rule.maySubscribe(subscription.topic), logger, 'subscribe');
      // A client waiting for answers it may never read: IT sees it, once a minute.
      if (!allowed && rule)
        refusedPublishes.refused(
          client?.id ?? '',
          subscription.topic,
          () => rule.whyNoSubscribe?.(subscription.topic),
          'subscribe',
        );
      // A null subscription is refused in the SUBACK; the client stays connected.
      done(null, allowed ? subscription : null);
    },
    authorizeForward(client, packet) {
      const rule = rules.get(client);
      // Checked per message, whatever filter matched: `#`, `+/+/…` or a shared
      // subscription can never hand a client a topic it may not read.
      if (!rule || safely(() => rule.mayReceive(packet.topic), logger, 'forward')) return packet;
      return null;
    },
  });
  // aedes keeps a session that was not clean (its subscriptions, and every QoS 1 message for it) for
  // ever, in memory: a dashboard that connected once with `clean: false` and was never seen again
  // would hold every device event from then on. Each is forgotten a while after its client went.
  const sessionExpiryMs = options.sessionExpiryMs ?? DEFAULT_SESSION_EXPIRY_MS;
  const expiries = new Map<string, TimerHandle>();
  broker.on('client', (client) => {
    connectedIds.set(client.id, client);
    expiries.get(client.id)?.cancel();
    expiries.delete(client.id);
  });
  broker.on('clientDisconnect', (client) => {
    if (connectedIds.get(client.id) !== client) return; // taken over by a newer connection
    connectedIds.delete(client.id);
    if (client.clean) return;
    const clientId = client.id;
    expiries.get(clientId)?.cancel();
    expiries.set(
      clientId,
      clock.setTimeout(
        'mqtt-session-expiry',
        () => {
          expiries.delete(clientId);
          if (connectedIds.has(clientId) || broker.closed) return;
          forgetSession(broker, clientId).then(
            (dropped) =>
              logger.info(
                { clientId, dropped },
                'forgot the MQTT session of a client that did not come back',
              ),
            (error: unknown) =>
              logger.warn({ clientId, err: describeError(error) }, 'MQTT session not forgotten'),
          );
        },
        sessionExpiryMs,
      ),
    );
  });
  broker.on('clientError', (client, error) => {
    logger.debug({ clientId: client?.id, err: describeError(error) }, 'MQTT client error');
  });
  broker.on('connectionError', (client, error) => {
    logger.debug({ clientId: client?.id, err: describeError(error) }, 'MQTT connection error');
  });

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // aedes reports it; a reset peer must not be an uncaught error
    const client = broker.handle(socket);
    // Added after aedes's 'readable' listener, so this sees each chunk aedes reads
    // without switching the socket to flowing mode.
    const frameGuard = new MqttFrameGuard(maxPacketSize);
    socket.on('data', (chunk: Buffer) => {
      const verdict = frameGuard.push(chunk);
      if (!verdict.ok) {
        // Which client, so IT can find the kiosk or dashboard at fault; never the packet's bytes.
        const clientId: string | null = client.id ?? null;
        const who = clientId === null ? 'An MQTT client (before its CONNECT)' : `MQTT client "${clientId}"`;
        const why =
          verdict.reason === 'packet_too_large'
            ? `sent a packet of ${frameGuard.packetSize} bytes, over the ${maxPacketSize}-byte limit`
            : 'sent a packet whose length is malformed';
        logger.warn(
          {
            clientId,
            remote: `${socket.remoteAddress}:${socket.remotePort}`,
            reason: verdict.reason,
            ...(verdict.reason === 'packet_too_large' && { packetSize: frameGuard.packetSize }),
            maxPacketSize,
          },
          `${who} disconnected: bad packet (${why})`,
        );
        socket.destroy();
      }
    });
  });
  server.maxConnections = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  server.on('drop', () =>
    logger.warn({ maxClients: server.maxConnections }, 'MQTT client refused: too many clients'),
  );

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw new CarrelError(
      'mqtt_listen_failed',
      `embedded MQTT broker could not listen on ${host}:${options.port}: ${describeError(error).message}`,
      { cause: error },
    );
  }
  server.on('error', (error) => logger.error({ err: describeError(error) }, 'MQTT broker server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host, port }, 'embedded MQTT broker listening');

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    local: localAccess(broker, logger),
    close() {
      closing ??= (async () => {
        for (const expiry of expiries.values()) expiry.cancel();
        expiries.clear();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
        logger.info({ host, port }, 'embedded MQTT broker closed');
      })();
      return closing;
    },
  };
}

/** What of aedes's session store forgetting a session takes (aedes-persistence, in memory). */
interface SessionStore {
  cleanSubscriptions(client: { id: string }): Promise<void>;
  outgoingStream(client: { id: string }): AsyncIterable<{ messageId?: number }>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
}

/**
 * Forgets the session of a client not connected: its subscriptions (nothing more is queued for it)
 * and the messages queued for it. Resolves to how many messages were dropped.
 */
async function forgetSession(broker: Aedes, clientId: string): Promise<number> {
  const store = (broker as unknown as { persistence: SessionStore }).persistence;
  const client = { id: clientId };
  await store.cleanSubscriptions(client);
  let dropped = 0;
  // A copy of the queue; each packet is taken out of the store by its message id (none before it was sent).
  for await (const packet of store.outgoingStream(client)) {
    await store.outgoingClearMessageId(client, packet);
    dropped++;
  }
  return dropped;
}

/** The rule's answer; false (and logged: our bug) when the rule throws. */
function safely(rule: () => boolean, logger: Logger, what: string): boolean {
  try {
    return rule() === true;
  } catch (error) {
    logger.error({ err: describeError(error) }, `MQTT ${what} rule failed`);
    return false;
  }
}

function localAccess(broker: Aedes, logger: Logger): LocalBroker {
  return {
    get closed() {
      return broker.closed;
    },
    publish({ topic, payload, qos, retain }) {
      return new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    },
    subscribe(filter, deliver) {
      const onPacket = (packet: AedesPublishPacket, done: () => void) => {
        done();
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        try {
          deliver({ topic: packet.topic, payload, retained: packet.retain === true });
        } catch (error) {
          logger.error({ err: describeError(error) }, 'in-process MQTT subscriber failed');
        }
      };
      const unsubscribe = () =>
        new Promise<void>((resolve) => {
          if (broker.closed) resolve();
          else broker.unsubscribe(filter, onPacket, () => resolve());
        });
      return new Promise((resolve, reject) => {
        broker.subscribe(filter, onPacket, ((error?: Error) => {
          if (error) reject(error);
          else resolve(unsubscribe);
        }) as () => void);
      });
    },
    onClosed(listener) {
      if (broker.closed) {
        listener();
        return () => {};
      }
      broker.once('closed', listener);
      return () => broker.off('closed', listener);
    },
  };
}
