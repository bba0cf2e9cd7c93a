import { startEmbeddedBroker } from '../../../src/api/mqtt/embedded-broker.js';
import { silentLogger } from '../../../src/core/logger.js';
import { describeMqttApiContract } from './mqtt-api-contract.js';

/**
 * The client link (as for `mqtt.mode: external`) against aedes over TCP: the
 * last will and the republish after a broker restart, on a second broker
 * besides Mosquitto, over MQTT 3.1.1.
 */
describeMqttApiContract({
  name: 'aedes over TCP as an external broker',
  link: 'client',
  protocolVersion: 4,
  async start(port = 0) {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    return { url: `mqtt://127.0.0.1:${broker.port}`, port: broker.port, stop: () => broker.close() };
  },
});
