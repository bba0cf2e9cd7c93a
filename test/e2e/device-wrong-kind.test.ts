import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

/**
 * A device asked for as another kind is refused in words: which kind it is and which it is not, each
 * as a person says it ("an RFID reader", "a receipt printer"), never the config's kind.
 */
let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
});

afterAll(async () => {
  await testDesk?.stop();
});

async function problem(path: string): Promise<{ status: number; code: string; detail: string }> {
  const response = await fetch(`${testDesk.api}/api/v1${path}`);
  const body = (await response.json()) as { code: string; detail: string };
  return { status: response.status, code: body.code, detail: body.detail };
}

/** Every family's kind in words, as the desk's messages say it. */
const IN_WORDS: Record<string, string> = {
  ils: 'an ILS',
  'receipt-printer': 'a receipt printer',
  'rfid-reader': 'an RFID reader',
  gate: 'a security gate',
  'print-queue': 'a print queue',
  'cash-device': 'a cash device',
  'card-printer': 'a card printer',
  scanner: 'a scanner',
};

describe('a device asked for as another kind', () => {
  it('says what it is and what it is not in words, for every family on the desk', async () => {
    const devices = (await (await fetch(`${testDesk.api}/api/v1/devices`)).json()) as {
      devices: Array<{ device: string; kind: string }>;
    };
    const kinds = new Set(devices.devices.map((device) => device.kind));
    expect([...kinds].sort()).toEqual(Object.keys(IN_WORDS).sort());
    const cardPrinter = devices.devices.find((device) => device.kind === 'card-printer')!;
    const gate = devices.devices.find((device) => device.kind === 'gate')!;
    for (const device of devices.devices) {
      if (device.kind === 'card-printer') continue;
      expect(await problem(`/card-printers/${device.device}`)).toEqual({
        status: 409,
        code: 'not_a_card_printer',
        detail: `device "${device.device}" is ${IN_WORDS[device.kind]}, not a card printer`,
      });
    }
    expect(await problem(`/gates/${cardPrinter.device}`)).toEqual({
      status: 409,
      code: 'not_a_gate',
      detail: `device "${cardPrinter.device}" is a card printer, not a security gate`,
    });
    expect((await problem(`/printers/${gate.device}/templates`)).detail).toBe(
      `device "${gate.device}" is a security gate, not a receipt printer`,
    );
    expect((await problem(`/cash-devices/${gate.device}`)).detail).toBe(
      `device "${gate.device}" is a security gate, not a cash device`,
    );
    expect((await problem(`/scanners/${cardPrinter.device}/last`)).detail).toBe(
      `device "${cardPrinter.device}" is a card printer, not a scanner`,
    );
  });
});
