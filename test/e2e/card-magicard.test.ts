import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { MagicardModel } from '../../simulators/card-printer/magicard-model.js';
import { decodePng } from '../../src/core/png.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * Issuing library cards on a desk whose printer is a Magicard: the default desk with its card
 * printer simulator playing a Magicard (the real spool jobs and REQ,STA queries over TCP) and the
 * device on the Magicard driver. The card made is the preview, pixel for pixel; the card number is
 * on its stripe, and the issue record says `written` — a Magicard cannot read a stripe back over
 * its documented protocol, so Carrel does not claim it verified it.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    simulators: config.simulators.map((s) => (s.kind === 'card-printer' ? { ...s, model: 'magicard' } : s)),
    devices: config.devices.map((d) =>
      d.kind === 'card-printer' ? { ...d, driver: 'magicard', printTimeoutMs: 1500 } : d,
    ),
  }));
  api = testDesk.api;
  await waitForDevice(api, 'cards-1', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

const sim = () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

describe('issuing library cards on a Magicard', () => {
  it('prints the card its preview showed, the number on the stripe, recorded as written, not verified', async () => {
    expect(sim().make).toBe('magicard');
    const request = { patron: '21000001', number: 'patron' };
    const preview = await fetch(`${api}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(preview.status).toBe(200);
    const previewPng = decodePng(new Uint8Array(await preview.arrayBuffer()));

    const issued = await call('POST', '/cards', request);
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({
      result: 'issued',
      cardNumber: '21000001',
      attempts: 1,
      magstripe: 'written',
    });
    const card = sim().cards().at(-1)!;
    expect(card).toMatchObject({ outcome: 'printed', tracks: { 2: '21000001' } });
    expect(card.sides.front).toEqual(['B', 'G', 'R', 'K']);
    const printed = decodePng(sim().cardPng(card.number, 'front')!);
    expect(Buffer.from(printed.rgba).equals(Buffer.from(previewPng.rgba))).toBe(true);
    const listed = await call('GET', '/cards?limit=1');
    expect(listed.json.issues[0]).toMatchObject({ issueId: issued.json.issueId, magstripe: 'written' });

    const printer = await call('GET', '/card-printers/cards-1');
    expect(JSON.stringify(printer.json)).toMatch(/MC0001234/);
  });

  it('records a card that never came out as failed, and does not print it later', async () => {
    const model = sim().model as MagicardModel;
    const before = sim().cards().length;
    model.feeder = 0;
    const failed = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'not_printed', magstripe: null });
    await waitForDevice(api, 'cards-1', 'degraded', 5000);
    expect(model.held).toEqual([]);
    model.feeder = 50;
    const next = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    expect(next.json).toMatchObject({ result: 'issued', magstripe: 'written' });
    expect(sim().cards().length).toBe(before + 1);
    await waitForDevice(api, 'cards-1', 'online', 5000);
  });
});
