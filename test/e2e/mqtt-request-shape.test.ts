/**
 * What a kiosk's request over MQTT may hold (as over HTTP: http-body-shape). Data with a field the
 * action does not take — a misspelt `requestID` — is refused, naming the field (and the one it may
 * have meant), nothing done: the field used to be dropped unread, and a fee payment sent again
 * after a lost answer was paid twice. Data nested thousands of levels deep (template data built by
 * a loop gone wrong) is refused in words: with a requestId it used to fail on the desk's own stack
 * (`internal`, "Maximum call stack size exceeded" in the log), and without one it was printed.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { IlsSimulator } from '../../simulators/ils/index.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let ils: IlsSimulator;
let kiosk: MqttClient;
const area = 'carrel/library/desk-1/clients/kiosk-fields';
const answers = new Map<
  string,
  { status: string; data: unknown; error?: { code: string; message: string } }
>();

beforeAll(async () => {
  testDesk = await startTestDesk();
  ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  await waitForDevice(testDesk.api, 'ils', 'online');
  await waitForDevice(testDesk.api, 'receipt-1', 'online');
  kiosk = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: 'kiosk-fields',
  });
  kiosk.on('message', (_topic, payload) => {
    const envelope = JSON.parse(String(payload));
    answers.set(envelope.transaction, envelope);
  });
  await kiosk.subscribeAsync(`${area}/response/#`);
});

afterAll(async () => {
  await kiosk?.endAsync();
  await testDesk?.stop();
});

const owedCents = (patron: string) =>
  ils.state.patron(patron)!.fees.reduce((sum, fee) => sum + fee.amountCents, 0);

/** Publishes a request's payload as written (JSON text) and waits for its answer. */
async function publish(action: string, transaction: string, payload: string) {
  await kiosk.publishAsync(`${area}/request/${action}`, payload, { qos: 1 });
  await expect.poll(() => answers.has(transaction), { timeout: 5000 }).toBe(true);
  return answers.get(transaction)!;
}

const ask = (action: string, transaction: string, data: unknown) =>
  publish(action, transaction, JSON.stringify({ transaction, data }));

describe('a request whose data holds a field the action does not take', () => {
  it('refuses a fee payment with a misspelt requestId, sent twice, and takes nothing', async () => {
    const before = owedCents('21000003');
    const data = { patron: '21000003', pin: '3333', amount: '1.00', requestID: randomUUID() };
    const first = await ask('circulation.feePaid', 'f1', data);
    const again = await ask('circulation.feePaid', 'f2', data);
    for (const answer of [first, again]) {
      expect(answer).toMatchObject({ status: 'error', error: { code: 'bad_request' } });
      expect(answer.error!.message).toContain('data.requestID');
      expect(answer.error!.message).toContain('requestId');
      expect(answer.error!.message).toMatch(/nothing was done/);
    }
    expect(owedCents('21000003')).toBe(before);
  });

  it('names each field no action reads, a path parameter renamed for MQTT included', async () => {
    const answer = await ask('devices.get', 'd1', { device: 'pad-1', id: 'pad-1', verbose: true });
    expect(answer.status).toBe('error');
    expect(answer.error!.message).toContain('data.id');
    expect(answer.error!.message).toContain('data.verbose');
    expect(answer.error!.message).not.toContain('data.device');
  });

  it('still answers requests that name only what the action takes', async () => {
    const device = await ask('devices.get', 'd2', { device: 'pad-1' });
    expect(device).toMatchObject({ status: 'ok', data: { device: 'pad-1' } });
    const renewAll = await ask('circulation.renewAll', 'r1', {
      patron: '21000001',
      pin: '1234',
      requestId: randomUUID(),
    });
    expect(renewAll.status, JSON.stringify(renewAll)).toBe('ok');
    const alarms = await ask('gates.alarms', 'g1', { open: true, limit: 5 });
    expect(alarms.status, JSON.stringify(alarms)).toBe('ok');
  });
});

/** `{"line": {"line": … 1}}`, `depth` objects deep, written out as text (no stack used to build it). */
const nested = (depth: number) => `${'{"line":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function print(transaction: string, depth: number, requestId?: string) {
  const payload = `{"transaction":"${transaction}","data":{"printer":"receipt-1","template":"checkout","data":${nested(
    depth,
  )}${requestId ? `,"requestId":"${requestId}"` : ''}}}`;
  return publish('printers.print', transaction, payload);
}

describe('a request nested too deep', () => {
  it('is refused in words, with a requestId or without, and nothing is printed', async () => {
    const printer = testDesk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    for (const [transaction, requestId] of [
      ['deep-1', randomUUID()],
      ['deep-2', undefined],
    ] as const) {
      const answer = await print(transaction, 6000, requestId);
      expect(answer, JSON.stringify(answer)).toMatchObject({
        status: 'error',
        error: { code: 'bad_request' },
      });
      expect(answer.error!.message).toMatch(/nested .*deep.*at most \d+.*nothing was done/);
    }
    const alive = await print('shallow', 8, randomUUID());
    expect(alive, JSON.stringify(alive)).toMatchObject({ status: 'ok' });
    await expect.poll(() => printer.receipts().length, { timeout: 5000 }).toBe(before + 1);
  });
});
