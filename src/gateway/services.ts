import type { DeviceState } from '../devices/device-state.js';
import type { CirculationApi } from './circulation/service.js';
import type { RfidService } from './devices/rfid-reader.js';
import type { EventBus } from './event-bus.js';
import type { FeatureReport } from './feature.js';
import type { OfflineCounts, OfflineResolution, OfflineState, OfflineTransaction } from './offline/index.js';
import type { SessionService } from './sessions/types.js';
import type { StatisticsPort } from './statistics/index.js';

/** A print job as the API shows it: never the receipt's data, which may name a patron. */
export interface PrintJobView {
  id: string;
  printer: string;
  template: string;
  state: 'queued' | 'printing' | 'printed' | 'failed' | 'unconfirmed' | 'expired';
  createdAt: string;
  updatedAt: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

export interface PrinterService {
  submit(printerId: string, receipt: { template: string; data: Record<string, unknown> }): PrintJobView;
  job(printerId: string, jobId: string): PrintJobView | undefined;
  jobs(printerId: string, filter?: { state?: PrintJobView['state'] }): PrintJobView[];
  retry(printerId: string, jobId: string): PrintJobView;
  templates(printerId: string): string[];
}

/** The offline journal as staff see it: what was taken while the ILS was away, and the conflicts. */
export interface OfflineService {
  /** Every journaled transaction in sequence order, or those in one state. */
  transactions(filter?: { state?: OfflineState }): OfflineTransaction[];
  counts(): OfflineCounts;
  /** Settles a conflict: 'retry' replays it again, 'discard' drops it. Throws an OfflineError otherwise. */
  resolve(id: string, action: OfflineResolution): OfflineTransaction;
}

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * What the API layer may ask of the gateway. Routes and MQTT handlers hold no
 * business rules: they validate, call one of these, and map the result.
 */
export interface DeskServices {
  readonly site: string;
  readonly gateway: string;
  readonly bus: EventBus;
  devices(): DeviceState[];
  device(id: string): DeviceState | undefined;
  readonly printers: PrinterService;
  readonly rfid: RfidService;
  /** Patrons, checkouts, checkins, renewals, holds and fees over the ILS. */
  readonly circulation: CirculationApi;
  /** Self-check sessions: a patron at a kiosk with its pad, items checked out or returned as placed. */
  readonly sessions: SessionService;
  /** Counts per terminal and hour, never patron data. */
  readonly statistics: StatisticsPort;
  /** The offline journal (store-and-forward while the ILS is away). */
  readonly offline: OfflineService;
  features(): FeatureReport[];
  readiness(): { ready: boolean; checks: ReadinessCheck[] };
}
