import { startEmbeddedBroker } from '../../../src/api/mqtt/embedded-broker.js';
import { silentLogger } from '../../../src/core/logger.js';
import { describeMqttApiContract } from './mqtt-api-contract.js';

/** The production path for `mqtt.mode: embedded`: MqttApi calls aedes in process. */
describeMqttApiContract({
  name: 'the embedded broker (aedes)',
  link: 'embedded',
  protocolVersion: 4,
  async start(port = 0) {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    return {
      url: `mqtt://127.0.0.1:${broker.port}`,
      port: broker.port,
      local: broker.local,
      stop: () => broker.close(),
    };
  },
});
