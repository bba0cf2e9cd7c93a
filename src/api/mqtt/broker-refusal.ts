/**
 * Why a broker would not take a client, in IT's words: what happened and which setting to mend.
 * One wording for every client that dials a broker — the desk's own link (its log and /readyz),
 * `carrel doctor` and `carrel fleet` — each naming its own settings (`mqtt.caFile`, `--ca`).
 */
import { unresolvedNameOf } from '../../core/errors.js';

/** The settings a client is dialled with, as the person mending them knows them. */
export interface MqttSettingNames {
  /** Whose login the broker refuses: "the desk's". */
  whose: string;
  /** Where the broker's URL is given: "mqtt.url". */
  url: string;
  /** Where the CA file is given: "mqtt.caFile". */
  caFile: string;
  /** Where the user and password are given: "mqtt.username and mqtt.password". */
  credentials: string;
  /** Where a client certificate and its key are given: "mqtt.certFile and mqtt.keyFile". */
  clientCertificate: string;
  /** How to dial MQTT 3.1.1 instead: "set mqtt.protocolVersion to '3.1.1'". */
  olderProtocol: string;
}

/** A desk's own settings (its configuration file): the desk's link and `carrel doctor`. */
export const DESK_MQTT_SETTINGS: Readonly<MqttSettingNames> = Object.freeze({
  whose: "the desk's",
  url: 'mqtt.url',
  caFile: 'mqtt.caFile',
  credentials: 'mqtt.username and mqtt.password',
  clientCertificate: 'mqtt.certFile and mqtt.keyFile',
  olderProtocol: "set mqtt.protocolVersion to '3.1.1'",
});

/** What the broker or its TLS refused. */
export interface BrokerRefusal {
  /** `login`: the broker's CONNACK refused it; `tls`: the TLS handshake failed, on either side. */
  kind: 'login' | 'tls';
  /** What happened: "it refused the desk's login: Connection refused: Not authorized". */
  what: string;
  /** What to do about it, where that is known. */
  todo?: string;
  /** Both in one line, as the desk logs it and /readyz says it. */
  said: string;
}

/** Connect-refusal codes that dialling again at once will not fix (bad credentials, not authorized, bad protocol). */
const REFUSED_CONNACK_CODES = new Set([1, 2, 4, 5, 128, 132, 133, 134, 135, 138, 140]);

/** Node's codes for a broker certificate that no CA the client trusts has signed. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * The refusal `error` (from mqtt.js's `error` event) is, in words, or undefined when it is none — a
 * broker that cannot be reached (nothing listening, no route, no such host), which dialling again
 * may mend by itself.
 *
 * - a CONNACK refusing the login (credentials, not authorized, the MQTT version, the client id);
 * - the broker's TLS refusing the handshake with an alert (no client certificate, one it does not
 *   trust);
 * - the client not taking the broker's certificate: no CA it trusts signed it, it is made out for
 *   another name, or it is out of its dates (a machine that boots with its clock wrong sees a valid
 *   one as not yet valid until NTP sets the clock).
 */
export function brokerRefusalOf(
  error: Error & { code?: unknown },
  dialled: { url: string; caFile?: string | undefined },
  settings: Readonly<MqttSettingNames> = DESK_MQTT_SETTINGS,
): BrokerRefusal | undefined {
  if (typeof error.code === 'number') {
    if (!REFUSED_CONNACK_CODES.has(error.code)) return undefined;
    const todo = connackTodo(error.code, settings);
    const what = `it refused ${settings.whose} login: ${error.message}`;
    return { kind: 'login', what, ...(todo && { todo }), said: todo ? `${what} (${todo})` : what };
  }
  const code = String(error.code);
  const tls = (what: string, todo?: string): BrokerRefusal => ({
    kind: 'tls',
    what,
    ...(todo && { todo }),
    said: todo ? `${what}: ${todo}` : what,
  });
  if (UNTRUSTED_CERTIFICATE.has(code))
    return dialled.caFile === undefined
      ? tls(
          `the broker's certificate is not signed by a CA this machine trusts (${error.message})`,
          `set ${settings.caFile} to the CA that signed it`,
        )
      : tls(
          `the broker's certificate is not signed by the CA in ${settings.caFile} (${dialled.caFile}) (${error.message})`,
          "put the CA that signed the broker's certificate in that file",
        );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = hostOf(dialled.url, settings);
    const names = (error as { cert?: { subjectaltname?: unknown } }).cert?.subjectaltname;
    return tls(
      `the broker's certificate is not made out for ${host}${
        typeof names === 'string' && names !== '' ? ` (it names ${names})` : ''
      }`,
      `dial the broker by a name its certificate has, in ${settings.url}, or have its certificate made out for ${host}`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED')
    return tls(
      `the broker's certificate has expired (${error.message})`,
      "renew it on the broker, or check this machine's clock",
    );
  if (code === 'CERT_NOT_YET_VALID')
    return tls(
      `the broker's certificate is not valid yet (${error.message})`,
      "check this machine's clock (NTP)",
    );
  if (!/^ERR_SSL_(SSLV3|TLSV1\d*)_ALERT_/i.test(code)) return undefined;
  // OpenSSL's text cut to its reason.
  const alert = /(?:sslv3|tlsv1\d*) alert [a-z ]+/i.exec(error.message)?.[0];
  if (!alert) return tls(error.message);
  if (/certificate required/i.test(alert))
    return tls(`its TLS asks for a client certificate (${alert})`, `set ${settings.clientCertificate}`);
  return tls(`its TLS refused the handshake (${alert})`);
}

/** What to look at for a CONNACK refusal (MQTT 3.1.1 and 5 codes), where it is known. */
function connackTodo(code: number, settings: Readonly<MqttSettingNames>): string | undefined {
  if ([4, 5, 134, 135, 140].includes(code))
    return `check ${settings.credentials}, and the broker's password file and ACL for that user`;
  if (code === 1 || code === 132)
    return `the broker does not speak this MQTT version: ${settings.olderProtocol}`;
  if (code === 2 || code === 133) return 'the broker does not accept the client id Carrel made';
  return undefined;
}

/** The host the URL dials, for words about the broker's certificate. */
function hostOf(url: string, settings: Readonly<MqttSettingNames>): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return `the host in ${settings.url}`;
  }
}

/**
 * Why a broker could not be reached, for one that did not refuse: "nothing listens on
 * 10.0.0.5:1883 (connection refused)" rather than "connect ECONNREFUSED 10.0.0.5:1883".
 */
export function brokerUnreachableOf(error: Error & { code?: unknown }): string {
  const { address, port } = error as { address?: unknown; port?: unknown };
  if (error.code === 'ECONNREFUSED' && typeof address === 'string')
    return `nothing listens on ${address.includes(':') ? `[${address}]` : address}:${String(port)} (connection refused)`;
  return unresolvedNameOf(error) ?? error.message;
}

/**
 * A connection taken and then closed or reset before the broker answered the login (no CONNACK):
 * another program on the broker's port, a TLS listener dialled without TLS, a broker at its
 * connection limit. `error` is the error that ended it, undefined when the connection just closed.
 */
export function closedBeforeLoginAnswered(
  error: (Error & { code?: unknown }) | undefined,
  settings: Readonly<MqttSettingNames> = DESK_MQTT_SETTINGS,
): { what: string; todo: string } | undefined {
  if (error !== undefined && error.code !== 'ECONNRESET' && error.code !== 'EPIPE') return undefined;
  return {
    what: `what listens there took the connection and closed it without answering ${settings.whose} MQTT login`,
    todo: `check that ${settings.url} names the broker's MQTT port (mqtts:// for a TLS listener) and that the broker takes more connections`,
  };
}
