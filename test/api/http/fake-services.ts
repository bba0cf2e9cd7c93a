import { systemClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { DEFAULT_SECURITY, holdsSecurity } from '../../../src/devices/rfid/index.js';
import { CirculationRefusal } from '../../../src/gateway/circulation/reasons.js';
import type { CirculationService } from '../../../src/gateway/contracts/circulation.js';
import type { DeskServices } from '../../../src/gateway/contracts/desk.js';
import type { OfflineService } from '../../../src/gateway/contracts/offline.js';
import type { PaymentService } from '../../../src/gateway/contracts/payments.js';
import { DeviceRegistry } from '../../../src/gateway/devices/registry.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import type {
  PrintJobView,
  ReceiptPrinterPort,
} from '../../../src/gateway/families/receipt-printer/index.js';
import type {
  RfidProgramRequest,
  RfidReaderPort,
  RfidTagView,
} from '../../../src/gateway/families/rfid-reader/index.js';
import type { DeviceEntry } from '../../../src/gateway/family.js';
import { OfflineError, type OfflineTransaction } from '../../../src/gateway/offline/index.js';
import { PaymentError } from '../../../src/gateway/payments/errors.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { RequestIds } from '../../../src/gateway/requests/request-ids.js';
import { SessionManager, sessionsSchema } from '../../../src/gateway/sessions/index.js';
import { deskMeasures } from '../../../src/gateway/statistics/desk-measures.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

/** DeskServices over plain data, for API tests that are about the API and not the devices. */
export function fakeServices(devices: DeviceState[] = [onlinePrinter('receipt-1')]) {
  const bus = new EventBus();
  const jobs = new Map<string, PrintJobView>();
  const submitted: Array<{ printer: string; template: string; data: Record<string, unknown> }> = [];
  let ready = true;
  const rfid = fakeRfid();
  // A real registry over stand-in entries: the API asks it for typed ports as it would on a desk.
  const printer = (id: string): ReceiptPrinterPort => ({
    submit(receipt) {
      if (receipt.template === 'nope')
        throw new CarrelError('template_unknown', 'there is no receipt template "nope"');
      submitted.push({ printer: id, ...receipt });
      const job: PrintJobView = {
        id: `job-${jobs.size + 1}`,
        printer: id,
        template: receipt.template,
        state: 'queued',
        createdAt: new Date(0).toISOString(),
        updatedAt: new Date(0).toISOString(),
        attempts: 0,
        error: null,
      };
      jobs.set(job.id, job);
      return job;
    },
    job: (jobId) => jobs.get(jobId),
    jobs: () => [...jobs.values()],
    retry: (jobId) => {
      const job = jobs.get(jobId);
      if (!job) throw new CarrelError('job_not_found', 'no such job');
      return job;
    },
    templates: () => ['checkout', 'test-page'],
  });
  const entry = (state: DeviceState, port: unknown): DeviceEntry => ({
    id: state.device,
    kind: state.kind,
    port,
    state: () => state,
    start: async () => {},
    stop: async () => {},
    reconnect: async () => {},
  });
  const ports = new DeviceRegistry([
    ...devices.map((state) => entry(state, state.kind === 'receipt-printer' ? printer(state.device) : {})),
    entry({ ...onlinePrinter('pad-1'), kind: 'rfid-reader' }, rfid.port),
  ]);
  const services: DeskServices = {
    statistics: {
      query: (query) => ({ from: '', to: '', groupBy: [...query.groupBy], rows: [] }),
    },
    site: 'library',
    gateway: 'desk-1',
    bus,
    devices: () => devices,
    device: (id) => devices.find((d) => d.device === id),
    reconnectDevice: (id) => ports.reconnect(id),
    features: () => [{ name: 'http', status: 'running', error: null }],
    lastBackup: () => undefined,
    readiness: () => ({
      ready,
      checks: [{ name: 'gateway', ok: ready, detail: ready ? 'ready' : 'starting' }],
    }),
    ports,
    circulation: fakeCirculation(),
    get sessions() {
      return sessions;
    },
    offline: fakeOffline(),
    // Real print accounts over an in-memory database, with no print queues.
    printAccounts: new PrintAccounts({
      config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
      database: memoryDatabase(),
      queues: () => [],
      clock: systemClock,
      logger: silentLogger(),
    }),
    payments: noPayments(),
    // Real request ids over an in-memory database.
    requests: new RequestIds({ db: memoryDatabase(), logger: silentLogger() }),
    get measures() {
      return deskMeasures(services);
    },
  };
  // Real sessions over the fake circulation, pad and printers.
  const sessions = new SessionManager({
    circulation: services.circulation,
    devices: ports,
    bus,
    clock: systemClock,
    logger: silentLogger(),
    // A screen's grace of 1 s (30 by default): the take-over test waits it out.
    config: sessionsSchema.parse({
      requirePin: false,
      screenGraceSeconds: 1,
      receipt: { printer: 'receipt-1' },
    }),
    site: 'library',
    desk: 'desk-1',
  });
  void sessions.start();
  return {
    services,
    bus,
    submitted,
    rfid,
    setReady(value: boolean) {
      ready = value;
    },
  };
}

export function onlinePrinter(id: string): DeviceState {
  return {
    device: id,
    kind: 'receipt-printer',
    status: 'online',
    since: new Date(0).toISOString(),
    reason: null,
    lastError: null,
    reconnects: 0,
    detail: {},
  };
}

/** The RFID reader of the fake desk: `pad-1`, with tag V1 on it. */
export const FAKE_V1_UID = 'E004010000000001';

function fakeRfid() {
  const tags: RfidTagView[] = [
    {
      uid: FAKE_V1_UID,
      item: {
        format: '28560-3',
        byteOrder: 'logical',
        primaryItemId: '1000000056',
        set: { part: 1, parts: 1 },
        typeOfUsage: 'circulating',
        ownerLibrary: 'DK718500',
        isil: 'DK-718500',
        crc: 'valid',
        warnings: [],
      },
      secured: true,
      afi: 0x07,
      eas: null,
      dsfid: 0x3e,
    },
  ];
  const programmed: Array<{ reader: string; uid: string; request: RfidProgramRequest }> = [];
  let securityStatus: 'done' | 'pending' | 'failed' = 'done';
  const tag = (uid: string) => {
    const found = tags.find((t) => t.uid === uid);
    if (!found && uid !== '') throw new CarrelError('rfid_tag_not_found', `tag ${uid} is not on the pad`);
    return found;
  };
  const port: RfidReaderPort = {
    tags() {
      return { tags, incompleteSets: [] };
    },
    // The fake pad's tags do not move: an inventory now sees what its view holds.
    async tagsNow() {
      return [...tags];
    },
    // A pad securing by the AFI, as the desk does by default.
    holdsSecurity: (read, secured) => holdsSecurity(DEFAULT_SECURITY, read, secured) ?? null,
    async setSecurity(uid, secured) {
      tag(uid);
      if (securityStatus === 'failed') throw new CarrelError('rfid_security_failed', 'tag refused');
      return { uid, secured, status: securityStatus };
    },
    async program(uid, request) {
      const found = tag(uid)!;
      programmed.push({ reader: 'pad-1', uid, request });
      return { ...found, item: { ...found.item!, primaryItemId: request.primaryItemId } };
    },
  };
  return {
    port,
    programmed,
    setSecurityStatus(status: 'done' | 'pending' | 'failed') {
      securityStatus = status;
    },
  };
}

/**
 * The circulation of the fake desk: patron `P1` (PIN `1234`) may borrow anything
 * but item `REFUSED`; any other patron is unknown. Answers are canned.
 */
export function fakeCirculation(): CirculationService {
  const refuseUnknown = (patron: string, pin?: string) => {
    if (patron !== 'P1') throw new CirculationRefusal('patron_not_found', ['Unknown patron'], 'patron');
    if (pin !== undefined && pin !== '1234')
      throw new CirculationRefusal('invalid_pin', ['Invalid PIN'], 'patron');
  };
  const item = (id: string) => ({ id, title: `Title of ${id}` });
  const done = { screenMessages: [], printLines: [] };
  const circulation: CirculationService = {
    identifyPatron(request) {
      return circulation.lookUpPatron(request);
    },
    patronFees(request) {
      return circulation.lookUpPatron(request);
    },
    async lookUpPatron({ patron, pin }) {
      refuseUnknown(patron, pin);
      return {
        patron: {
          id: patron,
          name: 'Fake Patron',
          valid: true,
          pinValid: pin !== undefined,
          blocked: false,
          reasons: [],
          statusFlags: [],
          fines: { total: '0.00', currency: 'EUR', items: [] },
          loans: [],
          holds: { available: [], unavailable: [] },
          counts: { loans: 0, overdue: 0, holdsAvailable: 0, holdsUnavailable: 0, fines: 0, recalls: null },
          limits: {},
          screenMessages: [],
        },
      };
    },
    async checkout({ patron, pin, item: id }) {
      refuseUnknown(patron, pin);
      if (id === 'REFUSED')
        throw new CirculationRefusal(
          'item_on_hold_for_another',
          ['Item is on hold for another patron'],
          'checkout',
        );
      return { ok: true, offline: false, renewal: false, item: { ...item(id), desensitize: true }, ...done };
    },
    async checkin({ item: id }) {
      return { ok: true, offline: false, item: item(id), resensitize: true, ...done };
    },
    async renew({ patron, pin, item: id }) {
      refuseUnknown(patron, pin);
      return { ok: true, item: item(id), ...done };
    },
    async renewAll({ patron, pin }) {
      refuseUnknown(patron, pin);
      return { ok: true, renewed: [], unrenewed: [], ...done };
    },
    async patronLoans({ patron, pin }) {
      refuseUnknown(patron, pin);
      return { items: [] };
    },
    async placeHold({ patron, pin }) {
      refuseUnknown(patron, pin);
      return { ok: true, available: false, ...done };
    },
    async cancelHold({ patron, pin }) {
      refuseUnknown(patron, pin);
      return { ok: true, available: false, ...done };
    },
    async payFee({ patron, pin }) {
      refuseUnknown(patron, pin);
      return { accepted: true, ...done };
    },
    async item(id) {
      return { item: item(id), screenMessages: [] };
    },
    async endSession() {
      return { ended: true, screenMessages: [] };
    },
  };
  return circulation;
}

/** The offline journal of the fake desk: one checkout done, one in conflict (id `tx-2`), as canned data. */
export function fakeOffline(): OfflineService {
  const base = { terminal: 'kiosk-1', at: 0, attempts: 1, acceptedAt: 0, settledAt: 1 };
  const transactions: OfflineTransaction[] = [
    {
      ...base,
      id: 'tx-1',
      sequence: 1,
      kind: 'checkout',
      patron: 'P1',
      item: 'I1',
      state: 'done',
      reason: 'sent',
    },
    {
      ...base,
      id: 'tx-2',
      sequence: 2,
      kind: 'checkout',
      patron: 'P1',
      item: 'I2',
      state: 'conflict',
      reason: 'item_checked_out_to_another',
    },
  ];
  return {
    transactions: (filter = {}) =>
      transactions.filter((tx) => filter.state === undefined || tx.state === filter.state),
    counts: () => ({
      pending: 0,
      replaying: 0,
      conflict: transactions.filter((tx) => tx.state === 'conflict').length,
      done: transactions.filter((tx) => tx.state === 'done').length,
      discarded: transactions.filter((tx) => tx.state === 'discarded').length,
      outstanding: transactions.filter((tx) => tx.state === 'conflict').length,
    }),
    async resolve(id, action) {
      const tx = transactions.find((t) => t.id === id);
      if (!tx) throw new OfflineError('offline_not_found', `no offline transaction ${id}`);
      if (tx.state !== 'conflict')
        throw new OfflineError('offline_not_in_conflict', `offline transaction ${id} is ${tx.state}`);
      tx.state = action === 'retry' ? 'pending' : 'discarded';
      return tx;
    },
  };
}

/** This desk has no cash devices: every payment is refused as the real service refuses it then. */
export function noPayments(): PaymentService {
  const none = (): never => {
    throw new PaymentError('no_cash_devices', 'no cash device is configured to take money');
  };
  const missing = (): never => {
    throw new PaymentError('payment_not_found', 'no such payment');
  };
  return {
    open: async () => none(),
    get: missing,
    list: () => [],
    owing: () => [],
    toCheck: () => [],
    check: missing,
    finish: async () => missing(),
    cancel: async () => missing(),
    receipt: missing,
    printReceipt: async () => missing(),
    payOut: missing,
    watch: missing,
    statistics: () => [],
  };
}

/** An in-memory database opened on first use. */
function memoryDatabase(): () => ReturnType<typeof openDatabase> {
  let db: ReturnType<typeof openDatabase> | undefined;
  return () => {
    db ??= openDatabase(':memory:');
    return db;
  };
}
