import { startEmbeddedBroker } from '../../../src/api/mqtt/embedded-broker.js';
import { silentLogger } from '../../../src/core/logger.js';
import { describeMqttApiContract } from './mqtt-api-contract.js';

describeMqttApiContract({
  name: 'the embedded broker (aedes)',
  protocolVersion: 4,
  async start(port = 0) {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    return { url: `mqtt://127.0.0.1:${broker.port}`, port: broker.port, stop: () => broker.close() };
  },
});
