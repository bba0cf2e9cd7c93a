/**
 * A request whose data is nested thousands of levels deep (a kiosk's template data built by a
 * loop gone wrong) is refused in words, nothing done. With a requestId it used to fail on the
 * desk's own stack — `internal`, "Maximum call stack size exceeded" in the log — and without one
 * it was printed.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printerSimulators } from '../../simulators/printer/family.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let kiosk: MqttClient;
const area = 'carrel/library/desk-1/clients/kiosk-deep';
const answers = new Map<
  string,
  { status: string; data: unknown; error?: { code: string; message: string } }
>();

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'receipt-1', 'online');
  kiosk = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: 'kiosk-deep',
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

/** `{"line": {"line": … 1}}`, `depth` objects deep, written out as text (no stack used to build it). */
const nested = (depth: number) => `${'{"line":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function print(transaction: string, depth: number, requestId?: string) {
  const payload = `{"transaction":"${transaction}","data":{"printer":"receipt-1","template":"checkout","data":${nested(
    depth,
  )}${requestId ? `,"requestId":"${requestId}"` : ''}}}`;
  await kiosk.publishAsync(`${area}/request/printers.print`, payload, { qos: 1 });
  await expect.poll(() => answers.has(transaction), { timeout: 5000 }).toBe(true);
  return answers.get(transaction)!;
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
