import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttResponse } from '../../../src/api/mqtt/topics.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import type { EventBus } from '../../../src/gateway/event-bus.js';
import { printerState } from './mqtt-api-contract.js';
import { Observer } from './observer.js';

/**
 * Who receives what on MQTT, whatever they subscribe to: every client kind ×
 * every filter shape, against a running gateway. In each round every client
 * subscribes to one filter, kiosk A asks a question carrying a PIN, the
 * gateway publishes a device state and a device event; then each client's
 * inbox must hold exactly the kinds the rule allows it, nothing more.
 */

export const SITE = 'main-library';
export const GATEWAY = 'desk-1';
export const BASE = `carrel/${SITE}/${GATEWAY}`;
export const ASKER = 'kiosk-a';
export const PIN = '4711-secret';
export const PATRON = '21000042';

export type Kind = 'request' | 'response' | 'deviceState' | 'deviceEvent';

export interface Party {
  /** `kiosk-a` is the one asking; the others only watch. */
  name: string;
  connect: IClientOptions;
}

export interface MatrixGateway {
  url: string;
  protocolVersion: 4 | 5;
  /** The gateway's bus: device states and events put here are published by its MqttApi. */
  bus: EventBus;
  /** A client that may read the whole gateway tree, to know when the gateway has answered. */
  auditor: IClientOptions;
  parties: Party[];
  /** Does the broker implement `$share/<group>/<filter>` (MQTT 5 shared subscriptions)? */
  sharedSubscriptions: boolean;
  stop(): Promise<void>;
}

/** Every filter shape, by name; `<party>` is replaced by the subscriber's name (a shared-subscription group of its own). */
export const FILTERS: Record<string, string> = {
  '#': '#',
  '+/#': '+/#',
  'carrel/#': 'carrel/#',
  '<base>/#': `${BASE}/#`,
  '<base>/request/#': `${BASE}/request/#`,
  'carrel/+/+/request/+': 'carrel/+/+/request/+',
  '<base>/clients/+/request/+': `${BASE}/clients/+/request/+`,
  '<base>/clients/+/request/#': `${BASE}/clients/+/request/#`,
  '<base>/clients/+/response/+': `${BASE}/clients/+/response/+`,
  '<base>/clients/kiosk-a/#': `${BASE}/clients/${ASKER}/#`,
  '$share/<party>/<base>/#': `$share/<party>/${BASE}/#`,
  '$SYS/#': '$SYS/#',
};

const PUBLIC: Kind[] = ['deviceState', 'deviceEvent'];

/** The rule, as the tests state it (from access.ts's description, not from its code). */
export function expectedKinds(party: Party, filter: string, sharedSubscriptions: boolean): Kind[] {
  const own: Kind[] = party.name === ASKER ? ['response'] : [];
  switch (filter) {
    case '#':
    case '+/#':
    case 'carrel/#':
    case '<base>/#':
      return [...own, ...PUBLIC];
    case '$share/<party>/<base>/#':
      return sharedSubscriptions ? [...own, ...PUBLIC] : [];
    case '<base>/clients/+/response/+':
    case '<base>/clients/kiosk-a/#':
      return own;
    default:
      // Requests are read by the gateway alone, the asker's own included; $SYS by nobody.
      return [];
  }
}

export function describeAccessMatrix(
  name: string,
  start: () => Promise<MatrixGateway>,
  skipReason?: string,
): void {
  describe.skipIf(skipReason !== undefined)(`MQTT access matrix: ${name}`, () => {
    let gateway: MatrixGateway;
    let auditor: Observer;
    const clients = new Map<string, Observer>();

    beforeAll(async () => {
      gateway = await start();
      const options = { protocolVersion: gateway.protocolVersion };
      auditor = await Observer.connect(gateway.url, { ...options, ...gateway.auditor });
      await auditor.subscribe(`${BASE}/#`);
      for (const party of gateway.parties) {
        const client = await Observer.connect(gateway.url, { ...options, ...party.connect });
        // Every client also hears a barrier device: when it arrives, the round is over for it.
        await client.subscribe(`${BASE}/devices/barrier/events/+`);
        clients.set(party.name, client);
      }
    });
    afterAll(async () => {
      for (const client of [...clients.values(), auditor]) await client?.close().catch(() => {});
      await gateway?.stop();
    });

    it('hands each client exactly what the rule allows, for every filter', { timeout: 60_000 }, async () => {
      // "party × filter" → the kinds received, sorted.
      const table: Record<string, string[]> = {};
      const expected: Record<string, string[]> = {};
      let round = 0;
      for (const [filterName, filterPattern] of Object.entries(FILTERS)) {
        round++;
        const transaction = `round-${round}`;
        for (const [partyName, client] of clients) {
          client.clear();
          const filter = filterPattern.replace('<party>', partyName);
          // A refused subscription is fine: what matters is what arrives.
          await client.client.subscribeAsync(filter, { qos: 1 }).catch(() => {});
        }
        const asker = clients.get(ASKER) as Observer;
        await asker.publish(
          `${BASE}/clients/${ASKER}/request/circulation.patron`,
          JSON.stringify({ transaction, data: { patron: PATRON, pin: PIN } }),
        );
        await auditor.waitFor(
          (m) => (m.json as MqttResponse | undefined)?.transaction === transaction,
          `the gateway's answer in ${transaction}`,
        );
        const state: DeviceState = printerState({ reconnects: round });
        gateway.bus.emit('device.state', state);
        gateway.bus.emit('device.event', {
          device: 'receipt-1',
          type: 'printer.paper_out',
          time: new Date().toISOString(),
          data: { round },
        });
        gateway.bus.emit('device.event', {
          device: 'barrier',
          type: transaction,
          time: new Date().toISOString(),
          data: {},
        });
        for (const [partyName, client] of clients) {
          await client.waitFor(
            (m) => m.topic === `${BASE}/devices/barrier/events/${transaction}`,
            `the barrier of ${transaction} at ${partyName}`,
          );
          const kinds = new Set<string>();
          for (const m of client.messages) kinds.add(kindOf(m.topic, m.json, transaction));
          kinds.delete('ignored');
          const party = gateway.parties.find((p) => p.name === partyName) as Party;
          table[`${partyName} × ${filterName}`] = [...kinds].sort();
          expected[`${partyName} × ${filterName}`] = expectedKinds(
            party,
            filterName,
            gateway.sharedSubscriptions,
          ).sort();
          expect(
            client.messages.filter((m) => m.payload.toString('utf8').includes(PIN)).map((m) => m.topic),
            `${partyName} with ${filterName} received the PIN`,
          ).toEqual([]);
          await client.client.unsubscribeAsync(filterPattern.replace('<party>', partyName)).catch(() => {});
        }
      }
      expect(table).toEqual(expected);
    });

    it('answers a mistyped request to its asker alone, saying how the topic should read', async () => {
      for (const client of [...clients.values()]) {
        client.clear();
        await client.client.subscribeAsync('#', { qos: 1 });
      }
      const asker = clients.get(ASKER) as Observer;
      // Slashes for the dot: the broker lets it through to the gateway, which answers on the mirror.
      const transaction = 'mistyped';
      await asker.publish(
        `${BASE}/clients/${ASKER}/request/circulation/patron`,
        JSON.stringify({ transaction, data: { patron: PATRON, pin: PIN } }),
      );
      const answer = await asker.waitFor(
        (m) => (m.json as MqttResponse | undefined)?.transaction === transaction,
        'the answer to the mistyped request',
      );
      expect(answer.topic).toBe(`${BASE}/clients/${ASKER}/response/circulation/patron`);
      expect(answer.json).toMatchObject({ status: 'error', data: null, error: { code: 'unknown_action' } });
      expect((answer.json as MqttResponse).error?.message).toContain('request/circulation.patron');
      gateway.bus.emit('device.event', {
        device: 'barrier',
        type: 'after-mistyped',
        time: new Date().toISOString(),
        data: {},
      });
      for (const [partyName, client] of clients) {
        await client.waitFor(
          (m) => m.topic === `${BASE}/devices/barrier/events/after-mistyped`,
          `the barrier at ${partyName}`,
        );
        const heard = client.messages.filter((m) => m.topic.includes('/clients/')).map((m) => m.topic);
        expect(heard, partyName).toEqual(partyName === ASKER ? [answer.topic] : []);
        await client.client.unsubscribeAsync('#').catch(() => {});
      }
    });
  });
}

/** What a received message is, for the matrix; `ignored` for the gateway state and barriers. */
function kindOf(topic: string, json: unknown, transaction: string): string {
  if (topic === `${BASE}/state` || topic.startsWith(`${BASE}/devices/barrier/`)) return 'ignored';
  if (topic === `${BASE}/devices/receipt-1/state`) return 'deviceState';
  if (topic === `${BASE}/devices/receipt-1/events/printer.paper_out`) return 'deviceEvent';
  const body = json as { transaction?: unknown; status?: unknown; data?: { pin?: unknown } } | undefined;
  if (body?.transaction === transaction && body.data?.pin === PIN) return 'request';
  if (body?.transaction === transaction && typeof body.status === 'string') return 'response';
  return `other: ${topic}`;
}
