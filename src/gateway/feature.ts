/**
 * A feature is one piece of the daemon with a lifecycle: storage, simulators,
 * devices, the HTTP API, MQTT, systemd notify. Features start in order and stop
 * in reverse (one that failed to start too); one that fails to start is logged and
 * the rest run on, unless it is essential.
 */
export interface Feature {
  readonly name: string;
  /**
   * The desk cannot serve without it (its database, a port kiosks connect to): when it fails to
   * start, what started is stopped again and the gateway does not start. A desk that says it is
   * ready without its API, or beside another Carrel, misleads the service manager and IT.
   */
  readonly essential?: boolean;
  start(): Promise<void>;
  /**
   * Gives back what start() took. Called on every feature asked to start, in reverse, also on one
   * whose start failed partway: it stops what it has and skips what it never got.
   */
  stop(): Promise<void>;
  /**
   * Why a running feature cannot do its work right now, in words for IT (an external MQTT broker it
   * keeps dialling), or undefined when it can. Read on each /readyz and /metrics scrape.
   */
  problem?(): string | undefined;
  /**
   * For a feature that makes good by itself what it could not start (the simulators, started again
   * with the devices that need them): true once it has. Its report is then `running`, not `failed`
   * — /readyz and carrel_feature_up stop paging IT for a desk that is fine —; until then problem()
   * says what it still lacks.
   */
  recovered?(): boolean;
}

export type FeatureStatus = 'stopped' | 'running' | 'failed';

export interface FeatureReport {
  name: string;
  status: FeatureStatus;
  error: { code: string; message: string } | null;
  /** A running feature's problem now, or what one that failed and recovers by itself still lacks (Feature.problem). */
  problem?: string;
}
