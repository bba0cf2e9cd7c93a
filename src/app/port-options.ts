import { redactBrokerUrl } from '../api/mqtt/connection.js';
import { CarrelError } from '../core/errors.js';
import { deepFreeze } from '../gateway/config/load.js';
import {
  type CarrelListener,
  carrelsListeners,
  gateListensOn,
  listenersOverlap,
} from '../gateway/families/gate/index.js';
import type { CarrelConfig } from './config.js';
import {
  brokerDialling,
  devicesDialling,
  simulatorsDialling,
  simulatorsListeningOn,
} from './own-ports-checks.js';

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
 * for a broker on a port nothing listens on. So is a port where another of Carrel's own listeners
 * or a gate of the desk listens.
 */
export function withPortOptions(config: CarrelConfig, ports: PortOptions): CarrelConfig {
  if (ports.mqttPort !== undefined && config.mqtt.mode !== 'embedded')
    throw new CarrelError('usage', mqttPortRefused(config.mqtt));
  if (ports.httpPort === undefined && ports.mqttPort === undefined) return config;
  const copy = structuredClone(config) as CarrelConfig;
  if (ports.httpPort !== undefined) copy.http.port = ports.httpPort;
  if (ports.mqttPort !== undefined && copy.mqtt.mode === 'embedded') copy.mqtt.port = ports.mqttPort;
  const refused = onCarrelsOrGatesPorts(copy, ports);
  if (refused.length > 0) throw new CarrelError('usage', refused.join('; '));
  return deepFreeze(copy);
}

/**
 * A port option moving one of Carrel's own listeners onto the port of another of them (its HTTP
 * API, its broker, its SIP2 relay) or of a gate of the desk listening for its notifications, as the
 * configuration's check refuses a gate there in the file: the desk would not start, saying another
 * program, perhaps another Carrel, held the port — or, the gate second, its alarms would never
 * arrive. So is one where a device of the desk is dialled on this machine (Carrel would talk its
 * protocol to itself) or a simulator of the desk listens, as the check refuses them in the file
 * (app/own-ports-checks.ts), or where a simulator of the desk dials (a gate simulator's notify, a
 * scanner simulator's vpcd) or the desk's external broker is dialled (mqtt.url), as the check
 * refuses those on Carrel's ports in the file. One sentence per clash, naming what is there and what to change.
 */
function onCarrelsOrGatesPorts(config: CarrelConfig, ports: PortOptions): string[] {
  const moved: CarrelListener[] = [];
  if (ports.httpPort !== undefined)
    moved.push({
      what: 'its HTTP API',
      section: '--http-port',
      host: config.http.host,
      port: ports.httpPort,
    });
  if (ports.mqttPort !== undefined && config.mqtt.mode === 'embedded')
    moved.push({
      what: 'its MQTT broker',
      section: '--mqtt-port',
      host: config.mqtt.host,
      port: ports.mqttPort,
    });
  const stayed = carrelsListeners(config).filter(
    (listener) =>
      !(listener.section === 'http' && ports.httpPort !== undefined) &&
      !(listener.section === 'mqtt' && ports.mqttPort !== undefined),
  );
  const said: string[] = [];
  moved.forEach((listener, index) => {
    const { section: option, host, port } = listener;
    if (port === 0) return;
    const serving = `${option} ${port} would put Carrel's ${listener.what.replace(/^its /, '')} on ${host}:${port}`;
    // Each pair once: a listener moved before this one was compared with the rest already.
    for (const other of [...moved.slice(0, index), ...stayed])
      if (other.port === port && listenersOverlap(other.host, host))
        said.push(
          `${serving}, where Carrel serves ${other.what} (${other.section.startsWith('--') ? `${other.section} ${other.port}` : `${other.section}: ${other.host}:${other.port}`}): they cannot both listen there — choose another ${option}`,
        );
    config.devices.forEach((device, at) => {
      if (!gateListensOn(device, listener)) return;
      said.push(
        `${serving}, where gate "${device.id}" listens for its notifications (devices[${at}].listen: ${device.listen.host}:${device.listen.port}): they cannot both listen there — choose another ${option}, or give the gate another listen.port (and the gate's DEST-PORT alike)`,
      );
    });
    for (const device of devicesDialling(config.devices, listener))
      said.push(
        `${serving}, where ${device.words} "${device.id}" is dialled (devices[${device.index}].transport: ${device.target.shown}): what Carrel sends it would reach Carrel itself, never the ${device.words} — choose another ${option}, or give the ${device.words} its own address`,
      );
    for (const simulator of simulatorsDialling(config.simulators, listener))
      said.push(
        `${serving}, where simulator "${simulator.id}" sends ${simulator.sends} (${simulator.setting}: ${simulator.shown}): they would reach Carrel itself — choose another ${option}, or give ${simulator.setting} another port`,
      );
    const broker = brokerDialling(config.mqtt, listener);
    if (broker !== undefined)
      said.push(
        `${serving}, where the desk dials its MQTT broker (mqtt.url: ${broker}): the desk would speak MQTT to itself and never come online on MQTT — choose another ${option}`,
      );
    for (const simulator of simulatorsListeningOn(config.simulators, listener))
      said.push(
        `${serving}, where ${simulator.where}: they cannot both listen there — choose another ${option}, or another ${simulator.setting}`,
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
