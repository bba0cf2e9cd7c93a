import { CarrelError } from '../../../src/core/errors.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import type { DeskServices, PrintJobView } from '../../../src/gateway/services.js';

/** DeskServices over plain data, for API tests that are about the API and not the devices. */
export function fakeServices(devices: DeviceState[] = [onlinePrinter('receipt-1')]) {
  const bus = new EventBus();
  const jobs = new Map<string, PrintJobView>();
  const submitted: Array<{ printer: string; template: string; data: Record<string, unknown> }> = [];
  let ready = true;
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
  };
  return {
    services,
    bus,
    submitted,
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
