/**
 * A desk's file copied from another desk may point a device or a simulator at a port that is, on
 * this desk, one of Carrel's own: a receipt printer dialling the API, an ILS dialling the SIP2
 * relay (the relay relaying to itself), a simulator listening where the broker does. The daemon
 * would talk a device's protocol to its own listener, or a listener would not start. These checks
 * say so with the desk's other mistakes (`carrel config check`, doctor, start). Carrel's listeners
 * among themselves, and a gate's listener beside them: src/app/config.ts and the gate family.
 */
import { redactBrokerUrl } from '../api/mqtt/connection.js';
import { dialReaches } from '../core/net.js';
import type { DeskCheck, DeskSections } from '../gateway/config/schema.js';
import {
  carrelsListeners,
  gateNotificationListeners,
  listenersOverlap,
} from '../gateway/families/gate/index.js';
import { ilsLinks } from '../gateway/families/ils/index.js';
import type { DeskLayout } from '../gateway/family.js';
import { DEVICE_FAMILIES } from './families.js';

type Desk = DeskSections & DeskLayout;

/** Something listening on the desk's machine as the file sets it. */
interface Listener {
  /** Who listens, in words, after "where": `Carrel serves its HTTP API (http: 127.0.0.1:8480)`. */
  where: string;
  /** The configuration's section that sets it: `http`, `sip2Relay`, `devices`. */
  section: string;
  /** The setting that moves it: `http.port`. */
  setting: string;
  host: string;
  port: number;
}

/** host:port as one writes it, an IPv6 address in brackets (once). */
const at = (host: string, port: number) =>
  `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** A client dialling `target` reaches `listener` on this machine. */
const dials = (target: { host: string; port: number }, listener: { host: string; port: number }) =>
  target.port === listener.port && dialReaches(target.host, listener.host);

/** Carrel's own listeners: its API, broker and SIP2 relay, and (with `gates`) each gate's notification listener. */
function carrelsOwn(config: Desk, { gates }: { gates: boolean }): Listener[] {
  const own: Listener[] = carrelsListeners(config).map((listener) => ({
    where: `Carrel serves ${listener.what} (${listener.section}: ${at(listener.host, listener.port)})`,
    section: listener.section,
    setting: `${listener.section}.port`,
    host: listener.host,
    port: listener.port,
  }));
  if (gates)
    for (const gate of gateNotificationListeners(config.devices))
      own.push({
        where: `Carrel listens for gate "${gate.id}"'s notifications (devices[${gate.index}].listen: ${at(gate.host, gate.port)})`,
        section: 'devices',
        setting: `devices[${gate.index}].listen.port`,
        host: gate.host,
        port: gate.port,
      });
  return own.filter((listener) => listener.port !== 0);
}

/** Where a device's transport dials: a TCP or TLS host and port, or an IPP queue's URL. */
export interface DialTarget {
  field: 'port' | 'url';
  host: string;
  port: number;
  /** As the file writes it. */
  shown: string;
}

const URL_DEFAULT_PORTS: Record<string, number> = { 'ipp:': 631, 'ipps:': 631, 'http:': 80, 'https:': 443 };

function dialTargetOf(device: { kind: string }): DialTarget | undefined {
  const transport = (device as { transport?: Record<string, unknown> }).transport;
  if (!transport) return undefined;
  const { type, host, port, url } = transport;
  if ((type === 'tcp' || type === 'tls') && typeof host === 'string' && typeof port === 'number')
    return { field: 'port', host, port, shown: at(host, port) };
  if (type === 'ipp' && typeof url === 'string') {
    try {
      const parsed = new URL(url);
      const port = parsed.port === '' ? URL_DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
      if (port !== undefined) return { field: 'url', host: parsed.hostname, port, shown: url };
    } catch {
      // The schema says what is wrong with a URL that does not parse.
    }
  }
  return undefined;
}

const familyWords = new Map<string, string>(
  DEVICE_FAMILIES.map((family) => [family.kind, family.inWords.replace(/^(a|an) /, '')]),
);

/** A device of the desk dialling where `listener` listens on this machine, as its family says it in words. */
export interface DiallingDevice {
  index: number;
  id: string;
  /** `receipt printer`. */
  words: string;
  target: DialTarget;
}

/** The devices of the desk that would dial `listener` (a port option moving Carrel's: app/port-options.ts). */
export function devicesDialling(
  devices: ReadonlyArray<{ id: string; kind: string }>,
  listener: { host: string; port: number },
): DiallingDevice[] {
  return devices.flatMap((device, index) => {
    const target = dialTargetOf(device);
    if (!target || target.port !== listener.port || !dialReaches(target.host, listener.host)) return [];
    return [{ index, id: device.id, words: familyWords.get(device.kind) ?? device.kind, target }];
  });
}

/** Where the desk's simulators would listen beside `listener` on hosts that cannot both listen there. */
export function simulatorsListeningOn(
  simulators: ReadonlyArray<{ id: string; kind: string }>,
  listener: { host: string; port: number },
): Listener[] {
  return simulators.flatMap((simulator, index) =>
    simulatorListeners(simulator, index).filter(
      (own) => own.port === listener.port && listenersOverlap(own.host, listener.host),
    ),
  );
}

/**
 * A device whose transport dials this machine on a port where Carrel itself listens: what it sends
 * would reach Carrel's own listener, never the device. A device on another machine on that port
 * number is that machine's; Carrel on every address (0.0.0.0) and a device by this machine's network
 * address is not claimed, as the file cannot say which addresses are this machine's.
 */
export const devicesDialApartFromCarrel: DeskCheck = (config, issue) => {
  const own = carrelsOwn(config, { gates: true });
  config.devices.forEach((device, index) => {
    const target = dialTargetOf(device);
    if (!target) return;
    const listener = own.find(
      (listener) => listener.port === target.port && dialReaches(target.host, listener.host),
    );
    if (!listener) return;
    const words = familyWords.get(device.kind) ?? device.kind;
    const itself =
      device.kind === ilsLinks.kind && listener.section === 'sip2Relay'
        ? 'the relay would relay to itself, and no ILS would ever answer'
        : `the ${words}'s protocol would go to Carrel, never to the ${words}`;
    const change = target.field === 'url' ? 'transport.url' : 'transport.host and transport.port';
    issue(
      ['devices', index, 'transport', target.field],
      `${words} "${device.id}" would dial ${target.shown}, which is Carrel itself: there ${listener.where}, so ${itself} — give ${change} the ${words}'s own address (a device on another machine may use this port number), or choose another ${listener.setting} for Carrel's listener${listener.section === 'devices' ? " (and the gate's DEST-PORT alike)" : ''}`,
    );
  });
};

/** Where a simulator listens: its device port and its control API (0: the system's choice). */
function simulatorListeners(simulator: { id: string; kind: string }, index: number) {
  const entry = simulator as { host?: unknown; port?: unknown; httpPort?: unknown };
  const host = typeof entry.host === 'string' ? entry.host : '127.0.0.1';
  const listeners: Array<Listener & { path: Array<string | number> }> = [];
  for (const field of ['port', 'httpPort'] as const) {
    const port = entry[field];
    if (typeof port !== 'number' || port === 0) continue;
    const serves = field === 'httpPort' ? 'serves its control API' : 'listens';
    listeners.push({
      where: `simulator "${simulator.id}" ${serves} (simulators[${index}].${field}: ${at(host, port)})`,
      section: 'simulators',
      setting: `simulators[${index}].${field}`,
      host,
      port,
      path: ['simulators', index, field],
    });
  }
  return listeners;
}

/** A simulator of the desk that dials out (a gate's notifications, a virtual card to vpcd), and where. */
export interface DiallingSimulator {
  id: string;
  /** `simulators[2].notify`. */
  setting: string;
  /** What it sends there, in words: `its notifications`. */
  sends: string;
  shown: string;
}

/** The simulators of the desk that would dial `listener` on this machine (a port option moving Carrel's: app/port-options.ts). */
export function simulatorsDialling(
  simulators: ReadonlyArray<{ id: string; kind: string }>,
  listener: { host: string; port: number },
): DiallingSimulator[] {
  return simulators.flatMap((simulator, index) => {
    const entry = simulator as {
      notify?: { host: string; port: number };
      vpcd?: { host: string; port: number };
    };
    const found: DiallingSimulator[] = [];
    if (entry.notify && dials(entry.notify, listener))
      found.push({
        id: simulator.id,
        setting: `simulators[${index}].notify`,
        sends: 'its gate notifications',
        shown: at(entry.notify.host, entry.notify.port),
      });
    if (entry.vpcd && dials(entry.vpcd, listener))
      found.push({
        id: simulator.id,
        setting: `simulators[${index}].vpcd`,
        sends: 'its virtual cards for vpcd',
        shown: at(entry.vpcd.host, entry.vpcd.port),
      });
    return found;
  });
}

/** The external broker's mqtt.url, when it dials `listener` on this machine, as shown (no password). */
export function brokerDialling(
  mqtt: DeskSections['mqtt'],
  listener: { host: string; port: number },
): string | undefined {
  const target = brokerDialTarget(mqtt);
  if (!target || mqtt.mode !== 'external' || !dials(target, listener)) return undefined;
  return redactBrokerUrl(mqtt.url);
}

/**
 * A simulator listening on a port of Carrel's own (its API, broker, SIP2 relay, a gate's listener)
 * or on another simulator's, on hosts that cannot both listen there: the simulator (or whatever
 * starts second) would not listen. Said against the simulator, naming what is there. A simulator
 * that notifies (a gate's) told to notify Carrel's API, broker or relay would dial Carrel itself.
 */
export const simulatorsApartFromCarrel: DeskCheck = (config, issue) => {
  const own = carrelsOwn(config, { gates: true });
  const dialled = carrelsOwn(config, { gates: false });
  const earlier: Listener[] = [...own];
  config.simulators.forEach((simulator, index) => {
    for (const listener of simulatorListeners(simulator, index)) {
      const taken = earlier.find(
        (other) => other.port === listener.port && listenersOverlap(other.host, listener.host),
      );
      if (taken)
        issue(
          listener.path,
          `${listener.setting} ${listener.port} would put simulator "${simulator.id}" on ${at(listener.host, listener.port)}, where ${taken.where}: they cannot both listen there — choose another ${listener.setting} (0 lets the system choose a free one)`,
        );
      earlier.push(listener);
    }
    const vpcd = (simulator as { vpcd?: { host: string; port: number } }).vpcd;
    const vpcdListener = vpcd && own.find((listener) => dials(vpcd, listener));
    if (vpcd && vpcdListener)
      issue(
        ['simulators', index, 'vpcd', 'port'],
        `simulator "${simulator.id}" would dial vpcd at ${at(vpcd.host, vpcd.port)}, which is Carrel itself: there ${vpcdListener.where}, not pcscd's vpcd reader, so its virtual cards would never reach a PC/SC reader — give vpcd the host and port pcscd's vpcd reader waits on (35963 unless its reader.conf says otherwise), or choose another ${vpcdListener.setting} for Carrel's listener`,
      );
    const notify = (simulator as { notify?: { host: string; port: number } }).notify;
    if (!notify) return;
    const listener = dialled.find((listener) => dials(notify, listener));
    if (listener)
      issue(
        ['simulators', index, 'notify', 'port'],
        `simulator "${simulator.id}" would notify ${at(notify.host, notify.port)}, which is Carrel itself: there ${listener.where}, not a gate's listener, so its notifications would never reach a gate — give notify the listen host and port of a gate device (or dials: its id)`,
      );
  });
};

/** The port mqtt.js dials for a broker URL that names none. */
const BROKER_DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'ws:': 80,
  'wss:': 443,
};

/** Where an external broker's URL dials: its host and port (mqtt.js's default for the scheme). */
export function brokerDialTarget(mqtt: DeskSections['mqtt']): { host: string; port: number } | undefined {
  if (mqtt.mode !== 'external') return undefined;
  try {
    const parsed = new URL(mqtt.url);
    const port = parsed.port === '' ? BROKER_DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
    if (port === undefined || parsed.hostname === '') return undefined;
    return { host: parsed.hostname, port };
  } catch {
    return undefined; // The schema says what is wrong with a URL that does not parse.
  }
}

/**
 * An external broker (mqtt.mode external) whose mqtt.url dials this machine on a port where Carrel
 * itself listens — its HTTP API, its SIP2 relay, a gate's listener — as a file copied from a desk
 * whose broker was there would: the desk would speak MQTT to its own listener and never come online
 * on MQTT. (An embedded broker and mqtt.url cannot both be set: mqtt.mode is one or the other.)
 */
export const externalBrokerApartFromCarrel: DeskCheck = (config, issue) => {
  const target = brokerDialTarget(config.mqtt);
  if (!target || config.mqtt.mode !== 'external') return;
  const listener = carrelsOwn(config, { gates: true }).find((listener) => dials(target, listener));
  if (!listener) return;
  issue(
    ['mqtt', 'url'],
    `mqtt.url ${redactBrokerUrl(config.mqtt.url)} would dial ${at(target.host, target.port)}, which is Carrel itself: there ${listener.where}, not an MQTT broker, so the desk would never come online on MQTT — give mqtt.url the broker's own address (a broker on another machine may use this port number), or set mqtt.mode embedded for Carrel to run its own broker, or choose another ${listener.setting} for Carrel's listener`,
  );
};
