/**
 * A simulator kind as the desk sees it: its entry under `simulators:` in the
 * config, how it starts in process (loaded only when configured), and its
 * `carrel sim <kind>` command. Listed once with its device family in
 * src/app/families.ts; the simulators feature, `carrel sim` and the JSON Schema
 * come from that list.
 */
import type { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import type { ConfigIssueSink, DeskLayout, DeviceFamily } from '../../src/gateway/family.js';

/** The desk as an in-process simulator may see it: where a device it dials is listening. */
export interface SimulatorDesk {
  /** Undefined until that device listens (a simulator that dials keeps trying). */
  listening(deviceId: string): { host: string; port: number } | undefined;
  /**
   * Another simulator of the desk, by its id, once it runs (simulators start in the config's order:
   * one that works with another — a card printer feeding its encoding pad — looks it up when it acts).
   */
  simulator?(simulatorId: string): RunningSimulator | undefined;
  /**
   * A device of the desk as configured (validated, its defaults filled in), by its family and id;
   * undefined when the desk has no such device of that family. A simulator standing in for a device's
   * hardware takes how that hardware is set up from it (a gate simulator: what the gate's reader
   * watches), so the two agree unless the simulator's own entry says otherwise.
   */
  device?<Config extends { id: string; kind: string }>(
    // biome-ignore lint/suspicious/noExplicitAny: any family's port and events; only its config is read
    family: DeviceFamily<string, Config, any, any>,
    deviceId: string,
  ): Config | undefined;
}

/** One simulator running in the desk's process. */
export interface RunningSimulator<Handle = unknown> {
  id: string;
  kind: string;
  /** Where a device reaches it (its `{ type: simulator }` transport). */
  host: string;
  port: number;
  /** Its control API or page, for the start-up banner. */
  url: string;
  /** One line for the banner: what it speaks where. */
  detail: string;
  handle: Handle;
  close(): Promise<void>;
}

export interface SimulatorFamily<
  Kind extends string = string,
  Config extends { id: string; kind: Kind } = { id: string; kind: Kind },
  Handle = unknown,
> {
  readonly kind: Kind;
  /** The `simulators[]` entry of this kind (strict; `kind` is the literal). */
  readonly config: z.ZodType<Config, unknown>;
  /** One line for `carrel sim`'s list. */
  readonly summary: string;
  /**
   * The fixed ports `carrel sim <kind>` listens on when not told otherwise: its option name →
   * port. No two kinds share one, so that a developer can run every simulator side by side.
   */
  readonly ports: Readonly<Record<string, number>>;
  /**
   * Cross-checks of its entry against the rest of the desk (`carrel config check` and start say
   * them with the entry's path): another simulator it names is there and of the right kind.
   */
  check?(config: Config, layout: DeskLayout, issue: ConfigIssueSink): void;
  /** Starts one in process; its module is imported only now. */
  start(config: Config, logger: Logger, desk: SimulatorDesk): Promise<RunningSimulator<Handle>>;
  /** The `carrel sim <kind>` command, imported only when run. */
  main(): Promise<(argv: string[]) => Promise<number>>;
  /**
   * What it adds to the simulated desk `carrel start` runs with no config: its
   * simulators and the devices they stand in for (config input, validated with
   * the rest).
   */
  readonly demo?: DemoDesk;
}

/** A part of the simulated desk: config entries, as a file would have them. */
export interface DemoDesk {
  simulators: ReadonlyArray<Record<string, unknown> & { id: string; kind: string }>;
  devices: ReadonlyArray<Record<string, unknown> & { id: string; kind: string }>;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest simulator kind, for lists and constraints
export type AnySimulatorFamily = SimulatorFamily<string, any, any>;
export type SimulatorHandleOf<S> = S extends SimulatorFamily<string, infer _C, infer H> ? H : never;
export type SimulatorConfigOf<S> = S extends SimulatorFamily<string, infer C, infer _H> ? C : never;

/** Declares a simulator kind with its types inferred. */
export function simulatorFamily<Kind extends string, Config extends { id: string; kind: Kind }, Handle>(
  family: SimulatorFamily<Kind, Config, Handle>,
): SimulatorFamily<Kind, Config, Handle> {
  return family;
}
