import { redactBrokerUrl } from '../api/mqtt/connection.js';
import { CarrelError } from '../core/errors.js';
import { deepFreeze } from '../gateway/config/load.js';
import { gateListensOn } from '../gateway/families/gate/index.js';
import type { CarrelConfig } from './config.js';

/** `--http-port` and `--mqtt-port`, as `carrel start` and `carrel doctor` take them. */
export interface PortOptions {
  httpPort?: number | undefined;
  /** The embedded broker's port: refused for a desk with no broker of its own. */
  mqttPort?: number | undefined;
}

/**
 * The configuration with the ports given on the command line in place of its own, frozen. A
 * `--mqtt-port` for a desk whose MQTT is an external broker or off is refused in words (a usage
 * error): there is no broker of Carrel's to move, and taking it silently would leave IT waiting
 * for a broker on a port nothing listens on. So is a port where a gate of the desk listens.
 */
export function withPortOptions(config: CarrelConfig, ports: PortOptions): CarrelConfig {
  if (ports.mqttPort !== undefined && config.mqtt.mode !== 'embedded')
    throw new CarrelError('usage', mqttPortRefused(config.mqtt));
  if (ports.httpPort === undefined && ports.mqttPort === undefined) return config;
  const copy = structuredClone(config) as CarrelConfig;
  if (ports.httpPort !== undefined) copy.http.port = ports.httpPort;
  if (ports.mqttPort !== undefined && copy.mqtt.mode === 'embedded') copy.mqtt.port = ports.mqttPort;
  const onGates = [
    ...(ports.httpPort === undefined
      ? []
      : gatesUnder('--http-port', "Carrel's HTTP API", copy.http.host, ports.httpPort, copy)),
    ...(ports.mqttPort === undefined || copy.mqtt.mode !== 'embedded'
      ? []
      : gatesUnder('--mqtt-port', "Carrel's MQTT broker", copy.mqtt.host, ports.mqttPort, copy)),
  ];
  if (onGates.length > 0) throw new CarrelError('usage', onGates.join('; '));
  return deepFreeze(copy);
}

/**
 * A port option moving one of Carrel's own listeners onto the port where a gate of the desk listens
 * for its notifications, as the configuration's check refuses the same port set in the file: the
 * desk would not start (its API's port taken, said as "another program") or the gate's alarms would
 * never arrive. One sentence per gate, naming it and what to change.
 */
function gatesUnder(
  option: string,
  what: string,
  host: string,
  port: number,
  config: CarrelConfig,
): string[] {
  const said: string[] = [];
  config.devices.forEach((device, index) => {
    if (!gateListensOn(device, { host, port })) return;
    said.push(
      `${option} ${port} would put ${what} on ${host}:${port}, where gate "${device.id}" listens for its notifications (devices[${index}].listen: ${device.listen.host}:${device.listen.port}): they cannot both listen there — choose another ${option}, or give the gate another listen.port (and the gate's DEST-PORT alike)`,
    );
  });
  return said;
}

function mqttPortRefused(mqtt: CarrelConfig['mqtt']): string {
  const what = '--mqtt-port moves the MQTT broker Carrel runs itself (mqtt.mode embedded)';
  if (mqtt.mode === 'external')
    return `${what}, and this desk dials an external broker (mqtt.mode external, at ${redactBrokerUrl(mqtt.url)}): leave --mqtt-port out; that broker's port is the one in mqtt.url`;
  return `${what}, and this desk has MQTT off (mqtt.mode off): leave --mqtt-port out, or set mqtt.mode embedded in the configuration`;
}
