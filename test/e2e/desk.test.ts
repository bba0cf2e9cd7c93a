import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { printerSimulators } from '../../simulators/printer/family.js';
import type { Desk } from '../../src/app/desk.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * The simulated desk, end to end: the composition root as `carrel start` runs it,
 * a real printer simulator over TCP, the HTTP API, the WebSocket and MQTT.
 */
let testDesk: TestDesk;
let desk: Desk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ({ desk, api } = testDesk);
});

afterAll(async () => {
  await testDesk?.stop();
});

const printer = () => desk.simulators.handle(printerSimulators, 'printer-sim')!;

async function postReceipt(data: Record<string, unknown>) {
  const response = await fetch(`${api}/api/v1/printers/receipt-1/receipts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'checkout', data }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; state: string };
}

interface DeviceJson {
  status: string;
  reason: string | null;
  reconnects: number;
}

async function getJson<T>(path: string): Promise<T> {
  return (await (await fetch(`${api}${path}`)).json()) as T;
}

async function jobState(id: string): Promise<string> {
  const response = await fetch(`${api}/api/v1/printers/receipt-1/jobs/${id}`);
  return ((await response.json()) as { state: string }).state;
}

describe('the simulated desk', () => {
  it('is ready once the printer is online', async () => {
    const readiness = await until(async () => {
      const response = await fetch(`${api}/readyz`);
      return response.status === 200 ? ((await response.json()) as { checks: unknown[] }) : undefined;
    });
    expect(readiness.checks).toContainEqual({ name: 'device:receipt-1', ok: true, detail: 'online' });
  });

  it('prints a posted receipt on the simulator, rendered with the accented name in its code page', async () => {
    const before = printer().receipts().length;
    const job = await postReceipt({
      library: { name: 'Carrel Public Library' },
      patron: { name: 'Zoë Åström' },
      loans: [{ title: 'Le Petit Prince', barcode: '30001000123457', dueDate: '2026-12-13' }],
    });
    await until(async () => ((await jobState(job.id)) === 'printed' ? true : undefined));
    const receipts = printer().receipts();
    expect(receipts).toHaveLength(before + 1);
    const receipt = receipts.at(-1)!;
    expect(receipt.text).toContain('Zoë Åström');
    expect(receipt.text).toContain('Le Petit Prince');
    // the gateway stamps the time when the client does not
    expect(receipt.text).toMatch(/Date:\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(receipt.barcodes).toContainEqual({
      symbology: expect.stringMatching(/code128/i),
      data: '30001000123457',
    });
    expect(receipt.svg).toMatch(/^<svg/);
    // and the simulator's page shows it
    const page = await (await fetch(printer().httpUrl)).text();
    expect(page).toContain('Le Petit Prince');
  });

  it('goes offline within 2 s when the printer stops, queues meanwhile, and prints exactly once when it is back', async () => {
    const ws = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events`);
    const wsMessages: Array<{ event: string; data: { device?: string; status?: string; type?: string } }> =
      [];
    ws.on('message', (raw) => wsMessages.push(JSON.parse(String(raw))));
    await until(() => (wsMessages.length > 0 ? true : undefined));

    const client = await mqtt.connectAsync(desk.urls().mqtt!, { protocolVersion: 4, reconnectPeriod: 0 });
    const mqttStates: string[] = [];
    client.on('message', (topic, payload) => {
      if (topic === 'carrel/library/desk-1/devices/receipt-1/state')
        mqttStates.push(JSON.parse(String(payload)).status);
    });
    await client.subscribeAsync('carrel/library/desk-1/devices/receipt-1/state');
    await until(() => (mqttStates.includes('online') ? true : undefined));
    const printedBefore = printer().receipts().length;

    const stoppedAt = Date.now();
    await printer().powerOff();
    await until(() =>
      wsMessages.some((m) => m.event === 'device.state' && m.data.status === 'offline') &&
      mqttStates.at(-1) === 'offline'
        ? true
        : undefined,
    );
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    expect((await getJson<{ ready: boolean }>('/readyz')).ready).toBe(false);

    const job = await postReceipt({
      patron: { name: 'Offline Patron' },
      loans: [{ title: 'Queued while away', barcode: '123' }],
    });
    // it waits: nothing can print while the printer is off
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobState(job.id)).toBe('queued');

    await printer().powerOn();
    await until(async () => ((await jobState(job.id)) === 'printed' ? true : undefined), 10_000);
    await until(() => (mqttStates.at(-1) === 'online' ? true : undefined));
    expect(wsMessages.some((m) => m.event === 'device.state' && m.data.status === 'online')).toBe(true);
    // exactly once, even after a few more status polls
    await new Promise((r) => setTimeout(r, 1500));
    const printedNow = printer().receipts().slice(printedBefore);
    expect(printedNow.filter((r) => r.text.includes('Queued while away'))).toHaveLength(1);
    expect(printedNow).toHaveLength(1);
    expect((await getJson<DeviceJson>('/api/v1/devices/receipt-1')).reconnects).toBeGreaterThanOrEqual(1);

    ws.close();
    await client.endAsync();
  });

  it('reports paper out as degraded with an event, and holds the receipt until paper is back', async () => {
    const ws = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events`);
    const events: string[] = [];
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.event === 'device.event') events.push(message.data.type);
    });
    await new Promise((r) => ws.once('open', r));
    const before = printer().receipts().length;
    printer().setCondition({ paperOut: true });
    await until(async () => {
      const device = await getJson<DeviceJson>('/api/v1/devices/receipt-1');
      return device.status === 'degraded' && device.reason === 'paper out' ? true : undefined;
    });
    expect(events).toContain('printer.paper_out');
    const job = await postReceipt({
      patron: { name: 'Paper Patron' },
      loans: [{ title: 'Waiting for paper', barcode: '9' }],
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobState(job.id)).toBe('queued');
    printer().setCondition({ paperOut: false });
    await until(async () => ((await jobState(job.id)) === 'printed' ? true : undefined));
    expect(printer().receipts().slice(before)).toHaveLength(1);
    expect(events).toContain('printer.job_printed');
    ws.close();
  });
});
