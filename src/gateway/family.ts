/**
 * A device family is one unit: an ILS link, a receipt printer, an RFID reader,
 * a security gate… Each is described once, by a `DeviceFamily`, and listed once
 * in the composition root (src/app/families.ts). From that list come the config
 * unions, the run-time entries, the simulators and the API; nothing else in
 * Carrel switches on a device kind.
 *
 * The gateway's part of a family is here: its kind, its `devices[]` config
 * schema, the factory of its run-time entry, its typed events and its typed
 * port (what workflows and the API may ask of a running device of that kind).
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/iso-time.js';
import type { Logger } from '../core/logger.js';
import type { DeviceEvent, DeviceState } from '../devices/device-state.js';
import type { DoctorCheck, DoctorContext } from './doctor.js';
import type { EventBus, ListenOptions } from './event-bus.js';
import type { Database } from './storage/index.js';

/** A family's events, an interface: the full event type (`rfid.tag_arrived`) → its payload. */
export type EventMap = object;

/** One event of a family, typed by its name; what `listenTo` hands a consumer. */
export type FamilyEventOf<E extends EventMap> = {
  [T in keyof E & string]: { device: string; type: T; time: string; data: E[T] };
}[keyof E & string];

/** One configured device at run time: its health record, its typed port, its lifecycle. */
export interface DeviceEntry<Port = unknown> {
  readonly id: string;
  readonly kind: string;
  state(): DeviceState;
  /** What workflows and the API may ask of the device; its methods throw `unavailable` while it is not running. */
  readonly port: Port;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Drops the device's link and connects again now; resolves when that attempt has ended. */
  reconnect(): Promise<void>;
  /**
   * Where the device's own listener is, for a device its peer dials (a gate notifies
   * Carrel): an in-process simulator of it dials there. Undefined until it listens.
   */
  listening?(): { host: string; port: number } | undefined;
}

/** Where a configured simulator listens, for a device whose transport is `{ type: simulator }`. */
export type SimulatorAddressBook = (simulatorId: string) => { host: string; port: number };

/** Reaches the typed port of another configured device (a gate asks the ILS about an item). */
export interface PortLookup {
  port<F extends AnyDeviceFamily>(family: F, id: string): PortOf<F>;
  /** Every configured device of a family, in configuration order. */
  all<F extends AnyDeviceFamily>(family: F): Array<DeviceEntry<PortOf<F>>>;
}

/** What a family's factory is given to build a run-time entry. */
export interface FamilyContext {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  /** The open database; asked at start, when storage is up. */
  database(): Database;
  simulators: SimulatorAddressBook;
  devices: PortLookup;
}

/** The whole configuration as a family's cross-checks see it: ids and kinds only. */
export interface DeskLayout {
  devices: ReadonlyArray<{ id: string; kind: string }>;
  simulators: ReadonlyArray<{ id: string; kind: string }>;
}

/** Reports one problem with a device's config, at a path below the device. */
export type ConfigIssueSink = (path: ReadonlyArray<string | number>, message: string) => void;

export interface DeviceFamily<
  Kind extends string = string,
  Config extends { id: string; kind: Kind } = { id: string; kind: Kind },
  Port = unknown,
  Events extends EventMap = EventMap,
> {
  readonly kind: Kind;
  /** What one is called in messages, with its article: "a receipt printer", "an RFID reader". */
  readonly inWords: string;
  /** The stable problem code when a device of another kind is asked for as one of these. */
  readonly wrongKindCode: string;
  /** The `devices[]` entry of this kind (strict; `kind` is the literal). */
  readonly config: z.ZodType<Config, unknown>;
  /** The names of its events, as declared by `Events`. */
  readonly events: ReadonlyArray<keyof Events & string>;
  /** Checks against the rest of the configuration (the simulator it names exists…). */
  check?(config: Config, layout: DeskLayout, issue: ConfigIssueSink): void;
  /**
   * `carrel doctor`'s checks of one configured device, when "it comes online" says
   * too little (the ILS: reachable, login accepted, 98 status, clock skew). Without
   * it doctor starts the device's entry and reports the status it reaches.
   */
  doctor?(config: Config, context: DoctorContext): Promise<DoctorCheck[]>;
  /**
   * What `carrel doctor` tells IT to check of a device it found degraded, where the family knows
   * better than "the device answers but reports a problem" (a gate that has not dialled in has
   * answered nothing); undefined for that default.
   */
  degradedHint?(config: Config, state: DeviceState): string | undefined;
  /**
   * Builds the run-time entry of one configured device; nothing is opened before `start()`.
   * It imports the family's run-time modules (entry, driver, codecs) on first use, so a
   * desk loads only the families its config uses: the descriptor itself stays cheap.
   */
  create(config: Config, context: FamilyContext): Promise<DeviceEntry<Port>>;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest family, for lists and constraints
export type AnyDeviceFamily = DeviceFamily<string, any, any, any>;
export type PortOf<F> = F extends DeviceFamily<string, infer _C, infer P, infer _E> ? P : never;
export type ConfigOf<F> = F extends DeviceFamily<string, infer C, infer _P, infer _E> ? C : never;
export type EventsOf<F> = F extends DeviceFamily<string, infer _C, infer _P, infer E> ? E : never;

/**
 * Declares a family, its event map given first: `deviceFamily<PrinterEvents>()({ … })`
 * (TypeScript infers the rest).
 */
export function deviceFamily<Events extends EventMap>() {
  return <Kind extends string, Config extends { id: string; kind: Kind }, Port>(
    family: DeviceFamily<Kind, Config, Port, Events>,
  ): DeviceFamily<Kind, Config, Port, Events> => family;
}

/**
 * Listens to one family's events on the bus, typed by its declaration: a
 * consumer switches on `event.type` and reads `event.data` without casting.
 * Events carry full data inside the gateway; the API edge redacts them.
 */
export function listenTo<F extends AnyDeviceFamily>(
  bus: EventBus,
  family: F,
  owner: object,
  listener: (event: FamilyEventOf<EventsOf<F>>) => void,
  options?: ListenOptions,
): void {
  const types = new Set<string>(family.events);
  bus.on(
    'device.event',
    owner,
    (event: DeviceEvent) => {
      // The family's declaration is the contract of what its devices emit under these names.
      if (types.has(event.type)) listener(event as unknown as FamilyEventOf<EventsOf<F>>);
    },
    options,
  );
}

/** Publishes one of a family's events on the bus, its payload checked against the declaration. */
export function emitEvent<E extends EventMap, T extends keyof E & string>(
  bus: EventBus,
  clock: Clock,
  device: string,
  type: T,
  data: E[T],
): void {
  bus.emit('device.event', {
    device,
    type,
    time: isoTime(clock.now()),
    data: data as unknown as Record<string, unknown>,
  });
}
