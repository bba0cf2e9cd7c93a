import { connectAsync, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import type { MqttResponse } from '../../../src/api/mqtt/topics.js';
import { startTestDesk, type TestDesk } from '../../helpers/desk.js';

export interface ObservedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  correlationData: Buffer | undefined;
  /** The payload parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * A test's MQTT client: records every message it receives and lets a test await
 * the first (already received or future) message matching a predicate.
 */
export class Observer {
  readonly messages: ObservedMessage[] = [];
  private waiters: Array<{ match: (m: ObservedMessage) => boolean; resolve: (m: ObservedMessage) => void }> =
    [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        json = undefined;
      }
      const correlationData = packet.properties?.correlationData;
      const message: ObservedMessage = {
        topic,
        payload,
        retain: packet.retain,
        correlationData: Buffer.isBuffer(correlationData) ? correlationData : undefined,
        json,
      };
      this.messages.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(message)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
  }

  static async connect(url: string, options: IClientOptions = {}): Promise<Observer> {
    const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    return new Observer(client);
  }

  async subscribe(filter: string): Promise<void> {
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  async publish(topic: string, payload: string | Buffer, options: IClientPublishOptions = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, ...options });
  }

  /** The first message, received or to come, for which `match` holds. */
  waitFor(
    match: (m: ObservedMessage) => boolean,
    what = 'a matching message',
    timeoutMs = 8000,
  ): Promise<ObservedMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(`timed out waiting for ${what}; got ${this.messages.map((m) => m.topic).join(', ')}`),
        );
      }, timeoutMs);
      const done = (m: ObservedMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Forgets what was received so far (to await only what comes next). */
  clear(): void {
    this.messages.length = 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

let transactions = 0;

/**
 * Asks `action` as a kiosk does (docs/mqtt.md): publishes `{transaction, data}` to
 * `<base>/clients/<clientId>/request/<action>` and resolves with the answer carrying that
 * transaction. `kiosk` must already be subscribed to its `response/#`.
 */
export async function askAction(
  kiosk: Observer,
  request: { base: string; clientId: string },
  action: string,
  data: unknown,
): Promise<MqttResponse & { replayed?: unknown }> {
  const transaction = `t-${++transactions}`;
  await kiosk.publish(
    `${request.base}/clients/${request.clientId}/request/${action}`,
    JSON.stringify({ transaction, data }),
  );
  const answer = await kiosk.waitFor(
    (m) => (m.json as MqttResponse | undefined)?.transaction === transaction,
    `the answer to ${action}`,
  );
  return answer.json as MqttResponse & { replayed?: unknown };
}

/**
 * The simulated desk (`startTestDesk()`, MQTT base `carrel/library/desk-1`) and a kiosk `clientId` on
 * its embedded broker, subscribed to its answers, for the `describe` that calls this (started in its
 * `beforeAll`, closed in its `afterAll`): `desk()`, and `ask(action, data)` for the action's answer.
 */
export function kioskOnDeskBroker(clientId: string) {
  const request = { base: 'carrel/library/desk-1', clientId };
  let desk: TestDesk;
  let kiosk: Observer;
  beforeAll(async () => {
    desk = await startTestDesk();
    kiosk = await Observer.connect(desk.desk.urls().mqtt as string, { clientId, protocolVersion: 4 });
    await kiosk.subscribe(`${request.base}/clients/${clientId}/response/#`);
  }, 60_000);
  afterAll(async () => {
    await kiosk?.close();
    await desk?.stop();
  });
  return {
    desk: () => desk,
    ask: (action: string, data: unknown) => askAction(kiosk, request, action, data),
  };
}
