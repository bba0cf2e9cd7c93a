/**
 * A feature is one piece of the daemon with a lifecycle: storage, simulators,
 * devices, the HTTP API, MQTT, systemd notify. Features start in order and stop
 * in reverse; one that fails to start is logged and the rest run on.
 */
export interface Feature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type FeatureStatus = 'stopped' | 'running' | 'failed';

export interface FeatureReport {
  name: string;
  status: FeatureStatus;
  error: { code: string; message: string } | null;
}
