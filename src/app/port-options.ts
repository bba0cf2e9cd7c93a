import { deepFreeze } from '../gateway/config/load.js';
import type { CarrelConfig } from './config.js';

/** `--http-port` and `--mqtt-port`, as `carrel start` and `carrel doctor` take them. */
export interface PortOptions {
  httpPort?: number | undefined;
  /** The embedded broker's port; nothing for an external broker. */
  mqttPort?: number | undefined;
}

/** The configuration with the ports given on the command line in place of its own, frozen. */
export function withPortOptions(config: CarrelConfig, ports: PortOptions): CarrelConfig {
  if (ports.httpPort === undefined && ports.mqttPort === undefined) return config;
  const copy = structuredClone(config) as CarrelConfig;
  if (ports.httpPort !== undefined) copy.http.port = ports.httpPort;
  if (ports.mqttPort !== undefined && copy.mqtt.mode === 'embedded') copy.mqtt.port = ports.mqttPort;
  return deepFreeze(copy);
}
