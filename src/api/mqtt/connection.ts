import { isIP } from 'node:net';
import type { MqttConfig } from '../../gateway/config/schema.js';
import type { MqttCredential } from './auth.js';

/** Where and how the gateway's MqttApi connects. */
export interface MqttConnection {
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
  /** A client certificate and its key (PEM files), for a broker that asks for one. */
  certFile?: string;
  keyFile?: string;
  /** 4 = MQTT 3.1.1 (aedes speaks only this), 5 = MQTT 5 (external brokers). */
  protocolVersion: 4 | 5;
  /** Seconds; the broker declares the client gone after 1.5 times this without a packet. */
  keepaliveSeconds?: number;
}

/** The address a client should dial for a broker bound to `host` (a wildcard bind is reached on loopback). */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The broker URL for the config: the embedded broker's bound address, or the external URL as given. */
export function mqttBrokerUrlFor(
  mqtt: MqttConfig,
  embeddedBroker?: { host: string; port: number },
): string | undefined {
  switch (mqtt.mode) {
    case 'off':
      return undefined;
    case 'embedded': {
      const host = embeddedBroker?.host ?? mqtt.host;
      const port = embeddedBroker?.port ?? mqtt.port;
      return `mqtt://${dialHost(host)}:${port}`;
    }
    case 'external':
      return mqtt.url;
  }
}

/**
 * Everything a client link (mqtt.js) needs to reach the broker the config names;
 * undefined when MQTT is off. The daemon's own MqttApi uses the embedded broker
 * in process (`startEmbeddedBroker(...).local`); a client dialling it over TCP
 * passes the started broker (its real port) and the gateway's internal
 * credential from `createBrokerAuth`.
 */
export function mqttConnectionFor(
  mqtt: MqttConfig,
  embeddedBroker?: { host: string; port: number },
  gatewayCredential?: MqttCredential,
): MqttConnection | undefined {
  const url = mqttBrokerUrlFor(mqtt, embeddedBroker);
  if (url === undefined) return undefined;
  if (mqtt.mode === 'external') {
    return {
      url,
      protocolVersion: mqtt.protocolVersion === '3.1.1' ? 4 : 5,
      ...(mqtt.keepaliveSeconds !== undefined && { keepaliveSeconds: mqtt.keepaliveSeconds }),
      ...(mqtt.username !== undefined && { username: mqtt.username }),
      ...(mqtt.password !== undefined && { password: mqtt.password }),
      ...(mqtt.caFile !== undefined && { caFile: mqtt.caFile }),
      ...(mqtt.certFile !== undefined && { certFile: mqtt.certFile }),
      ...(mqtt.keyFile !== undefined && { keyFile: mqtt.keyFile }),
    };
  }
  return { url, protocolVersion: 4, ...gatewayCredential };
}

/** The URL without user info, for logs and error messages. */
export function redactBrokerUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable broker URL>';
  }
}
