import { mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';
import { describeMqttApiContract } from './mqtt-api-contract.js';

const skipReason = mosquittoSkipReason();
if (skipReason) console.warn(skipReason);

describeMqttApiContract(
  {
    name: 'a real Mosquitto',
    link: 'client',
    protocolVersion: 5,
    start: (port) => startMosquitto(port ? { port } : {}),
  },
  skipReason,
);
