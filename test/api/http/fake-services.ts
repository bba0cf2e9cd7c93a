import { CarrelError } from '../../../src/core/errors.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import type {
  RfidProgramRequest,
  RfidService,
  RfidTagView,
} from '../../../src/gateway/devices/rfid-reader.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import type { DeskServices, PrintJobView } from '../../../src/gateway/services.js';

/** DeskServices over plain data, for API tests that are about the API and not the devices. */
export function fakeServices(devices: DeviceState[] = [onlinePrinter('receipt-1')]) {
  const bus = new EventBus();
  const jobs = new Map<string, PrintJobView>();
  const submitted: Array<{ printer: string; template: string; data: Record<string, unknown> }> = [];
  let ready = true;
  const rfid = fakeRfid(devices);
  const services: DeskServices = {
    site: 'library',
    gateway: 'desk-1',
    bus,
    devices: () => devices,
    device: (id) => devices.find((d) => d.device === id),
    features: () => [{ name: 'http', status: 'running', error: null }],
    readiness: () => ({
      ready,
      checks: [{ name: 'gateway', ok: ready, detail: ready ? 'ready' : 'starting' }],
    }),
    printers: {
      submit(printer, receipt) {
        if (!devices.some((d) => d.device === printer))
          throw new CarrelError('device_not_found', `no device "${printer}"`);
        if (receipt.template === 'nope')
          throw new CarrelError('template_unknown', 'there is no receipt template "nope"');
        submitted.push({ printer, ...receipt });
        const job: PrintJobView = {
          id: `job-${jobs.size + 1}`,
          printer,
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
      job: (_printer, id) => jobs.get(id),
      jobs: () => [...jobs.values()],
      retry: (_printer, id) => {
        const job = jobs.get(id);
        if (!job) throw new CarrelError('job_not_found', 'no such job');
        return job;
      },
      templates: () => ['checkout', 'test-page'],
    },
    rfid: rfid.service,
  };
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

function fakeRfid(devices: DeviceState[]) {
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
      dsfid: 0x3e,
    },
  ];
  const programmed: Array<{ reader: string; uid: string; request: RfidProgramRequest }> = [];
  let securityStatus: 'done' | 'pending' | 'failed' = 'done';
  const tag = (reader: string, uid: string) => {
    if (devices.some((d) => d.device === reader))
      throw new CarrelError('not_an_rfid_reader', `device "${reader}" is not an RFID reader`);
    if (reader !== 'pad-1') throw new CarrelError('device_not_found', `no device "${reader}"`);
    const found = tags.find((t) => t.uid === uid);
    if (!found && uid !== '') throw new CarrelError('rfid_tag_not_found', `tag ${uid} is not on the pad`);
    return found;
  };
  const service: RfidService = {
    tags(reader) {
      tag(reader, '');
      return { tags, incompleteSets: [] };
    },
    async setSecurity(reader, uid, secured) {
      tag(reader, uid);
      if (securityStatus === 'failed') throw new CarrelError('rfid_security_failed', 'tag refused');
      return { uid, secured, status: securityStatus };
    },
    async program(reader, uid, request) {
      const found = tag(reader, uid)!;
      programmed.push({ reader, uid, request });
      return { ...found, item: { ...found.item!, primaryItemId: request.primaryItemId } };
    },
  };
  return {
    service,
    programmed,
    setSecurityStatus(status: 'done' | 'pending' | 'failed') {
      securityStatus = status;
    },
  };
}
