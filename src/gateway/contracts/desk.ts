/**
 * What the API layer may ask of the gateway. Routes and MQTT handlers hold no
 * business rules: they validate, call one of these, and map the result.
 *
 * Naming, everywhere in the gateway: a `…Service` is a workflow the API and
 * other workflows call (circulation, sessions, offline, statistics), declared
 * here in src/gateway/contracts; a `…Port` is what a running device of one
 * family offers (src/gateway/families/<kind>/port.ts), handed out by
 * `ports.port(family, id)`.
 */
import type { DeviceState } from '../../devices/device-state.js';
import type { EventBus } from '../event-bus.js';
import type { PortLookup } from '../family.js';
import type { FeatureReport } from '../feature.js';
import type { MeasureSource } from '../statistics/measures.js';
import type { CirculationService } from './circulation.js';
import type { OfflineService } from './offline.js';
import type { PaymentService } from './payments.js';
import type { PrintAccountService, PrintIlsTransfers, PrintStationLogins } from './print-accounts.js';
import type { RequestIdService } from './requests.js';
import type { SessionService } from './sessions.js';
import type { StatisticsService } from './statistics.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** What /readyz answers: every check, and where the desk's own listeners really are. */
export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
  /**
   * The embedded MQTT broker's URL as the desk listens on it — a port chosen at start, or the
   * simulated desk's broker moved off a taken 1883 — so `carrel doctor` dials the desk's broker.
   */
  listening?: { mqtt?: string };
}

export interface DeskServices {
  readonly site: string;
  readonly gateway: string;
  readonly bus: EventBus;
  devices(): DeviceState[];
  device(id: string): DeviceState | undefined;
  /** Drops a device's link and connects again now (admin); its health record after that attempt. */
  reconnectDevice(id: string): Promise<DeviceState>;
  /** Typed handles on running devices: `ports.port(receiptPrinters, 'receipt-1')`. */
  readonly ports: PortLookup;
  /** Patrons, checkouts, checkins, renewals, holds and fees over the ILS. */
  readonly circulation: CirculationService;
  /** Requests done at most once by the client's request id (circulation's changes, fee payments). */
  readonly requests: RequestIdService;
  /** Self-check sessions: a patron at a kiosk with its pad, items checked out or returned as placed. */
  readonly sessions: SessionService;
  /** Counts per terminal and hour, never patron data. */
  readonly statistics: StatisticsService;
  /** Every statistic of the desk as measures (circulation, gates, printing, payments, availability). */
  readonly measures: readonly MeasureSource[];
  /** The offline journal (store-and-forward while the ILS is away). */
  readonly offline: OfflineService;
  /** Print release at the stations, and the patrons' print accounts. */
  readonly printAccounts: PrintAccountService & PrintStationLogins & PrintIlsTransfers;
  /** Payments at the desk and the kiosk: money from cash devices for fees and print credit. */
  readonly payments: PaymentService;
  features(): FeatureReport[];
  readiness(): Readiness;
  /**
   * The full path of the database the desk opened (undefined: in memory). /readyz tells it to a
   * caller with the monitor scope, so `carrel doctor` run from another folder checks this one.
   */
  readonly databasePath?: string;
  /** The last `carrel backup` of the desk's database, as recorded beside it; undefined when none. */
  lastBackup(): { at: string; path: string; bytes: number } | undefined;
}
