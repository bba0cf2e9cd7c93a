import { createBrokerAuth } from '../../../src/api/mqtt/auth.js';
import { startEmbeddedBroker } from '../../../src/api/mqtt/embedded-broker.js';
import { MqttApi } from '../../../src/api/mqtt/mqtt-api.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Scope } from '../../../src/gateway/config/schema.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { ASKER, describeAccessMatrix, GATEWAY, type MatrixGateway, PATRON, SITE } from './access-matrix.js';
import { printerState } from './mqtt-api-contract.js';

const TOKENS: Array<{ name: string; token: string; scopes: Scope[] }> = [
  { name: 'it-monitoring', token: 'monitor-token-0123456789abcdef', scopes: ['monitor'] },
  { name: ASKER, token: 'kiosk-a-token-0123456789abcdef', scopes: ['kiosk'] },
  { name: 'kiosk-b', token: 'kiosk-b-token-0123456789abcdef', scopes: ['kiosk'] },
  { name: 'staff-desk', token: 'staff-token-0123456789abcdef', scopes: ['staff'] },
  { name: 'admin', token: 'admin-token-0123456789abcdef', scopes: ['admin'] },
];

/** The embedded broker as MqttFeature runs it: aedes with Carrel's auth, the gateway in process. */
async function embeddedGateway(tokens: typeof TOKENS): Promise<MatrixGateway> {
  const topics = new CarrelTopics(SITE, GATEWAY);
  const auth = createBrokerAuth({ topics, tokens });
  const broker = await startEmbeddedBroker({
    port: 0,
    logger: silentLogger(),
    authenticate: auth.authenticate,
  });
  const bus = new EventBus();
  const api = new MqttApi({
    site: SITE,
    gateway: GATEWAY,
    embedded: broker.local,
    bus,
    logger: silentLogger(),
    deviceStates: () => [printerState()],
    actions: {
      'circulation.patron': async () => ({ patron: { id: PATRON, name: 'Kåre Ødegård' } }),
    },
  });
  await api.start();
  const parties =
    tokens.length === 0
      ? [ASKER, 'anonymous'].map((name) => ({ name, connect: { clientId: name } }))
      : tokens.map((t) => ({
          name: t.name,
          connect: { clientId: t.name, username: t.name, password: t.token },
        }));
  return {
    url: `mqtt://127.0.0.1:${broker.port}`,
    protocolVersion: 4,
    bus,
    auditor: { clientId: 'auditor', ...auth.gatewayCredential },
    parties,
    sharedSubscriptions: false,
    async stop() {
      await api.stop();
      await broker.close();
    },
  };
}

describeAccessMatrix('the embedded broker with tokens (monitor, two kiosks, staff, admin)', () =>
  embeddedGateway(TOKENS),
);
describeAccessMatrix('the embedded broker without tokens (anonymous, loopback)', () => embeddedGateway([]));
