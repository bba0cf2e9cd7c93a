/** The health vocabulary shared by every device, the ILS link and the API. */
export type HealthStatus = 'online' | 'degraded' | 'offline';

export interface DeviceState {
  device: string;
  kind: string;
  status: HealthStatus;
  /** ISO time the status last changed. */
  since: string;
  /** Why the device is not fully online, in plain words ("paper out", "connection refused"). */
  reason: string | null;
  /** The latest error, stamped when it began: the same error again (each retry) keeps its time. */
  lastError: { code: string; message: string; at: string } | null;
  reconnects: number;
  /** Device-family specifics (printer paper sensor, reader firmware, …). Never patron data. */
  detail: Record<string, unknown>;
}

/**
 * One JSON shape for device events on the WebSocket and on MQTT.
 * `type` is dotted, family first: `printer.paper_out`, `printer.job_printed`.
 */
export interface DeviceEvent {
  device: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
}
