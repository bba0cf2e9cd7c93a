/**
 * The security gate family: RFID antennas at the exit that alarm when an item
 * leaves still secured (by its AFI or EAS bit, or unless the ILS says it is
 * charged), and count people in and out. A FEIG gate reader in notification
 * mode (it dials Carrel), or an RFID reader polled at a doorway. Alarms are
 * kept in a history staff acknowledge; visitors are counted in 15-minute
 * counts. It reads the ILS family's port (item information) for the alarms'
 * titles. Its simulator kind is `gate`.
 */
import type { DeskCheck, DeskSections } from '../../config/schema.js';
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type GateConfig, gateSchema, REAL_GATE_COUNT_MIN_SECONDS, readsEas } from './config.js';
import { GATE_EVENTS, type GateEventsMap } from './events.js';

export type { GateAlarmRecord } from './alarm-history.js';
export { type GateAlarmPolicy, type GateConfig, type GateVisitorsConfig, gateSchema } from './config.js';
export type {
  GateAlarmEnrichedEvent,
  GateAlarmEvent,
  GateAlarmItem,
  GateAlarmNotEnrichedEvent,
  GateCountEvent,
  GateEventsMap,
} from './events.js';
export type { GatePort, GateStatusView } from './port.js';
export type { VisitorSnapshot } from './visitors.js';

export const gates = deviceFamily<GateEventsMap>()({
  kind: 'gate',
  inWords: 'a security gate',
  wrongKindCode: 'not_a_gate',
  config: gateSchema,
  events: GATE_EVENTS,
  check: (config: GateConfig, layout, issue) => {
    if (config.transport) checkSimulatorTransport(config.transport, 'gate', layout, issue);
    // Reading a real gate's counter more often than this loads its command port (the alarm
    // switching's too) for figures a person reads; the simulated gate is in process.
    const interval = 'visitors' in config ? config.visitors.countIntervalSeconds : 0;
    if (
      interval > 0 &&
      interval < REAL_GATE_COUNT_MIN_SECONDS &&
      config.transport !== undefined &&
      config.transport.type !== 'simulator'
    )
      issue(
        ['visitors', 'countIntervalSeconds'],
        `a gate on the network is read at most every ${REAL_GATE_COUNT_MIN_SECONDS} seconds (60, the default, is enough: nothing counted is lost between readings)`,
      );
    const { method } = config.alarm;
    // A notification carries no AFI or EAS bit: of a gate reporting every tag, each would alarm.
    if (
      config.driver === 'feig-notification' &&
      config.reports === 'all' &&
      (method === 'afi' || method === 'eas' || method === 'afi+eas')
    )
      issue(
        ['alarm', 'method'],
        `a gate that reports every tag (reports: all) sends no AFI or EAS bit with them, so ${method} cannot tell a book on the shelf from one on loan and every book carried out would alarm: set the gate reader's own filter and reports: secured, or alarm.method ils (the ILS says whether each item is on loan) or afi-or-ils`,
      );
    // An ordinary reader at a doorway reads the EAS bit only when told to, and a 3M reader never:
    // under eas every tag would alarm, under afi+eas a book secured by its EAS bit would not.
    if (config.driver === 'reader' && readsEas(method)) {
      if (config.protocol === '3m')
        issue(
          ['alarm', 'method'],
          `a 3M reader (protocol 3m) cannot read a tag's EAS bit, so ${method} would ${method === 'eas' ? 'alarm on every tag' : 'let a book secured by its EAS bit out unheard'}: alarm by afi (or ils, afi-or-ils), or use a FEIG reader`,
        );
      else if (config.checkEas === false)
        issue(
          ['checkEas'],
          `checkEas: false reads no tag's EAS bit, so alarm.method ${method} would ${method === 'eas' ? 'alarm on every tag' : 'let a book secured by its EAS bit out unheard'}: leave checkEas out (it is read for eas and afi+eas) or set it true`,
        );
    }
    const clash = listenerClash(config, layout.devices);
    if (clash)
      issue(
        ['listen', 'host'],
        `gates notifying on one port share Carrel's listener there, and gate "${clash.other.id}" listens on ${clash.other.host}:${clash.port}: this gate's on ${clash.host}:${clash.port} could not listen beside it (the port is taken), so its alarms would not arrive — give both gates the same listen.host (0.0.0.0 for gates on the network), or this one a port of its own`,
      );
    if (
      (method === 'ils' || method === 'afi-or-ils') &&
      !layout.devices.some((device) => device.kind === 'ils')
    )
      issue(['alarm', 'method'], `${method} asks the ILS, and this desk has no ILS device`);
  },
  // A gate in notification mode that has not dialled in: nothing answered, so nothing reported a
  // problem — its settings, its network and its power are what to check.
  degradedHint: (config: GateConfig, state) =>
    state.detail.notificationLink === 'offline' && state.detail.peer === null
      ? `the gate has not dialled in yet: check that its notification destination (DEST-IP/PORT) is this machine and devices[${config.id}].listen.port, that devices[${config.id}].address is the gate's own, and that the gate is powered; it dials at its keep-alive interval, so a longer --timeout may see it`
      : undefined,
  create: async (config: GateConfig, context) => new (await import('./entry.js')).GateEntry(config, context),
});

/** Hosts that take a port on every address, IPv6 and IPv4 alike: beside one, no other host can listen on that port. */
const EVERY_ADDRESS = new Set(['::', '']);
/** The host that takes a port on every IPv4 address: an IPv6 address's listener is beside it, not in it. */
const EVERY_IPV4_ADDRESS = '0.0.0.0';
const isIpv6 = (host: string) => host.includes(':');
/** Two names of one address. */
const sameAddress = (a: string, b: string) => {
  const loopback = new Set(['127.0.0.1', 'localhost']);
  return loopback.has(a) && loopback.has(b);
};

/** Two listeners on these hosts and one port cannot both listen: one host, or one taking the other's addresses. */
export const listenersOverlap = (a: string, b: string) =>
  a === b ||
  EVERY_ADDRESS.has(a) ||
  EVERY_ADDRESS.has(b) ||
  (a === EVERY_IPV4_ADDRESS && !isIpv6(b)) ||
  (b === EVERY_IPV4_ADDRESS && !isIpv6(a)) ||
  sameAddress(a, b);

/** A listener of Carrel's own: its HTTP API, its embedded MQTT broker, its SIP2 relay. */
export interface CarrelListener {
  /** What Carrel serves there, in words: `its HTTP API`. */
  what: string;
  /** Where its port was set: the configuration's section, or the command-line option. */
  section: string;
  host: string;
  port: number;
}

/** Carrel's own listeners as the configuration sets them. */
export function carrelsListeners(config: DeskSections): CarrelListener[] {
  const own: CarrelListener[] = [
    { what: 'its HTTP API', section: 'http', host: config.http.host, port: config.http.port },
  ];
  if (config.mqtt.mode === 'embedded')
    own.push({ what: 'its MQTT broker', section: 'mqtt', host: config.mqtt.host, port: config.mqtt.port });
  if (config.sip2Relay)
    own.push({
      what: 'its SIP2 relay',
      section: 'sip2Relay',
      host: config.sip2Relay.host,
      port: config.sip2Relay.port,
    });
  return own;
}

/**
 * A gate of the desk whose notification listener cannot listen beside `listener`: one port, and
 * hosts that cannot both listen there. A port 0 (the system's choice) is never another's.
 */
export function gateListensOn(
  device: { kind: string },
  listener: Pick<CarrelListener, 'host' | 'port'>,
): device is Extract<GateConfig, { driver: 'feig-notification' }> {
  if (device.kind !== 'gate') return false;
  const gate = device as GateConfig;
  if (gate.driver !== 'feig-notification' || gate.listen.port === 0) return false;
  return gate.listen.port === listener.port && listenersOverlap(gate.listen.host, listener.host);
}

/** Where each gate of the desk in notification mode has Carrel listen, with its index under `devices:`. */
export function gateNotificationListeners(
  devices: ReadonlyArray<{ id: string; kind: string }>,
): Array<{ id: string; index: number; host: string; port: number }> {
  return devices.flatMap((device, index) => {
    if (device.kind !== gates.kind) return [];
    const gate = device as GateConfig;
    if (gate.driver !== 'feig-notification') return [];
    return [{ id: gate.id, index, host: gate.listen.host, port: gate.listen.port }];
  });
}

/**
 * Gates whose notification listener would take the port of Carrel's own HTTP API, its embedded
 * MQTT broker or its SIP2 relay: whichever starts second cannot listen, and Carrel itself does not
 * start (its API's port taken) or the gate's alarms never arrive. Said with the desk's mistakes.
 * (`carrel start --http-port`/`--mqtt-port` moving a listener onto a gate: app/port-options.ts.)
 */
export const gatesBesideCarrelsListeners: DeskCheck = (config, issue) => {
  const own = carrelsListeners(config);
  config.devices.forEach((device, index) => {
    for (const listener of own)
      if (gateListensOn(device, listener)) {
        const { host, port } = device.listen;
        issue(
          ['devices', index, 'listen', 'port'],
          `gate "${device.id}" would listen for its notifications on ${host}:${port}, where Carrel serves ${listener.what} (${listener.section}: ${listener.host}:${listener.port}): they cannot both listen there — give the gate another listen.port (and the gate's DEST-PORT alike)`,
        );
      }
  });
};

/**
 * An earlier gate of the desk notifying on this gate's port under another host, such that the two
 * listeners cannot both listen (one on every address, or both on one address by two names).
 */
function listenerClash(
  config: GateConfig,
  devices: ReadonlyArray<{ id: string; kind: string }>,
): { host: string; port: number; other: { id: string; host: string } } | undefined {
  if (config.driver !== 'feig-notification' || config.listen.port === 0) return undefined;
  const { host, port } = config.listen;
  for (const device of devices) {
    if (device.id === config.id) return undefined; // only the gates before this one: said once
    if (device.kind !== 'gate') continue;
    const other = device as GateConfig;
    if (other.driver !== 'feig-notification' || other.listen.port !== port || other.listen.host === host)
      continue;
    if (listenersOverlap(host, other.listen.host))
      return { host, port, other: { id: other.id, host: other.listen.host } };
  }
  return undefined;
}
