import type { EventEmitter } from 'node:events';

/**
 * What a driver tells the supervisor about itself while connected. `online`
 * means fully working; `degraded` means connected but not fit for all work
 * (printer out of paper, cover open).
 */
export interface DeviceCondition {
  status: 'online' | 'degraded';
  reason: string | null;
  detail: Record<string, unknown>;
  /** The failure behind a degraded status (a request that timed out…); the supervisor records it as lastError. */
  lastError?: { code: string; message: string };
}

/**
 * The lifecycle surface every device driver offers the supervisor.
 *
 * - `connect()` opens the transport and checks the device answers; it rejects
 *   when it cannot (the supervisor retries with backoff).
 * - `disconnect()` may come while `connect()` is still under way (Carrel stopping): it closes
 *   what the attempt opened, and the attempt then ends soon, whatever it was waiting for.
 * - After a successful connect the driver emits exactly one `disconnected`
 *   (with the error) if the link is lost; it is not emitted for `disconnect()`.
 * - `condition` is emitted whenever the device's own condition changes.
 * - `event` carries device events (`paper_out`, `job_printed`…), typed per family.
 */
export interface DeviceDriver extends EventEmitter {
  readonly id: string;
  readonly kind: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  condition(): DeviceCondition;
  on(event: 'disconnected', listener: (error: Error) => void): this;
  on(event: 'condition', listener: (condition: DeviceCondition) => void): this;
  on(event: 'event', listener: (type: string, data: Record<string, unknown>) => void): this;
}
