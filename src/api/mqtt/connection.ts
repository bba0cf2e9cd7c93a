import { isIP } from 'node:net';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../../gateway/config/schema.js';
import type { MqttCredential } from './auth.js';
import { readMqttTlsFiles } from './tls-files.js';

/**
 * Where a client dials a broker and how it logs in: the one list of these settings, for the
 * desk's own link (MqttApi, ClientLink), doctor, `carrel mqtt forget` and the fleet view.
 */
export interface BrokerSettings {
  /** mqtt://, mqtts://, ws://, wss:// */
  url: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed the broker's certificate. */
  caFile?: string;
  /** A client certificate and its key (PEM files), for a broker that asks for one. */
  certFile?: string;
  keyFile?: string;
  /** 4 = MQTT 3.1.1 (aedes speaks only this), 5 = MQTT 5 (correlation data and response topics). */
  protocolVersion?: 4 | 5;
  /** Seconds; the broker declares the client gone (its last will) after 1.5 times this without a packet. */
  keepaliveSeconds?: number;
}

const BROKER_SETTINGS = [
  'url',
  'username',
  'password',
  'caFile',
  'certFile',
  'keyFile',
  'protocolVersion',
  'keepaliveSeconds',
] as const satisfies ReadonlyArray<keyof BrokerSettings>;

/** The broker settings of `from` that are set (an undefined one is left out, not carried as undefined). */
export function brokerSettingsOf(from: BrokerSettings): BrokerSettings {
  const settings: Record<string, unknown> = {};
  for (const name of BROKER_SETTINGS) if (from[name] !== undefined) settings[name] = from[name];
  return settings as unknown as BrokerSettings;
}

/**
 * The login mqtt.js is given for `settings`: the user and password when set, and the TLS files
 * read (a TransportError `mqtt_<ca|cert|key>_unreadable` for one that cannot be: readMqttTlsFiles).
 */
export async function brokerLogin(
  settings: BrokerSettings,
): Promise<Pick<IClientOptions, 'username' | 'password' | 'ca' | 'cert' | 'key'>> {
  return {
    ...(settings.username !== undefined && { username: settings.username }),
    ...(settings.password !== undefined && { password: settings.password }),
    ...(await readMqttTlsFiles(settings)),
  };
}

/** Where and how the gateway's MqttApi connects. */
export interface MqttConnection extends BrokerSettings {
  protocolVersion: 4 | 5;
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
    const protocolVersion = mqtt.protocolVersion === '3.1.1' ? 4 : 5;
    return { ...brokerSettingsOf({ ...mqtt, url, protocolVersion }), protocolVersion };
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
