import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import { scannerSchema } from '../../src/gateway/families/scanner/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { ensurePcscd, type Pcscd, pcscSkipReason } from '../helpers/pcscd.js';
import { until } from '../helpers/until.js';

const skip = pcscSkipReason();
if (skip) console.warn(`skipping PC/SC desk tests: ${skip}`);

/** A campus card's UID and the patron the desk maps it to. */
const CARD_UID = '04A22492';
const PATRON = '21000002';

/**
 * A campus-card reader on the desk through the real pcscd: the simulator puts a virtual
 * card on vpcd's second reader ("Virtual PCD 00 01", TCP 35964; the driver tests use the
 * first), the identification goes out with the card's number hidden, and the card logs the
 * patron in at the kiosk that watches the reader.
 */
describe.skipIf(skip !== undefined)('a PC/SC campus-card reader on the desk', () => {
  let pcscd: Pcscd;
  let test: TestDesk;
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  const stream: Array<{ event: string; data: Record<string, unknown> }> = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    pcscd = await ensurePcscd();
    test = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) =>
        s.id === 'scanner-sim' ? { ...s, vpcd: { host: '127.0.0.1', port: 35964 } } : s,
      ),
      devices: [
        ...config.devices,
        scannerSchema.parse({
          id: 'card-reader-1',
          kind: 'scanner',
          driver: 'pcsc',
          card: { reader: 'Virtual PCD 00 01' },
          classify: { cards: 'mapped', cardPatrons: { [CARD_UID]: PATRON } },
        }),
      ],
    }));
    await waitForDevice(test.api, 'card-reader-1', 'online', 15_000);
    const open = async (path: string, onMessage: (m: Record<string, unknown>) => void) => {
      const ws = new WebSocket(`${test.api.replace('http', 'ws')}${path}`);
      ws.on('message', (raw) => onMessage(JSON.parse(String(raw))));
      await new Promise((resolve) => ws.once('open', resolve));
      sockets.push(ws);
    };
    await open('/api/v1/events?devices=card-reader-1', (m) => {
      if (m.event === 'device.event') events.push(m.data as { type: string; data: Record<string, unknown> });
    });
    await open('/api/v1/scanners/card-reader-1/identifications', (m) =>
      stream.push(m as { event: string; data: Record<string, unknown> }),
    );
  }, 40_000);

  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await test?.desk.simulators.handle(scannerSimulators, 'scanner-sim')?.removeCard();
    await test?.stop();
    await pcscd?.stop();
  });

  const sim = (): ScannerSimulator => test.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;

  it('a campus card put on the reader: its number hidden in events, whole on the device stream, mapped to its patron', async () => {
    const control = (await sim().state()).card;
    expect(control).toBeNull();
    const answer = await fetch(`${sim().httpUrl}/api/card`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uid: CARD_UID }),
    });
    expect(answer.status).toBe(201);
    const event = await until(() => events.find((e) => e.type === 'scanner.identified'), 10_000);
    expect(event.data).toMatchObject({
      source: 'pcsc',
      kind: 'card',
      value: null,
      role: 'patron',
      redacted: true,
    });
    expect(JSON.stringify(events)).not.toContain(CARD_UID);
    const whole = await until(() => stream.find((m) => m.event === 'scanner.identified'));
    expect(whole.data).toMatchObject({ value: CARD_UID, patron: PATRON });

    const opened = await fetch(`${test.api}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'checkout', scanner: 'card-reader-1', patronScan: true, pin: '2222' }),
    });
    expect(opened.status).toBe(201);
    const session = (await opened.json()) as { id: string; patron: { name: string } };
    expect(session.patron.name).toBe('Émile Côté');
    await fetch(`${test.api}/api/v1/sessions/${session.id}`, { method: 'DELETE' });

    expect((await fetch(`${sim().httpUrl}/api/card`, { method: 'DELETE' })).status).toBe(200);
    await until(() => events.find((e) => e.type === 'scanner.card_removed'), 10_000);
    const state = (await (await fetch(`${test.api}/api/v1/devices/card-reader-1`)).json()) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({
      status: 'online',
      detail: { source: 'pcsc', reader: 'Virtual PCD 00 01', cardPresent: false, reads: 1 },
    });
  });

  it('a card the reader gives no number for says in words what card it is and what to do, and the next card is read', async () => {
    const put = (body: Record<string, unknown>) =>
      fetch(`${sim().httpUrl}/api/card`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const take = async () => {
      const removed = events.filter((e) => e.type === 'scanner.card_removed').length;
      expect((await fetch(`${sim().httpUrl}/api/card`, { method: 'DELETE' })).status).toBe(200);
      await until(
        () => events.filter((e) => e.type === 'scanner.card_removed').length > removed || undefined,
        10_000,
      );
    };
    const rejection = async (count: number) =>
      (await until(() => stream.filter((m) => m.event === 'scanner.rejected')[count - 1], 10_000)).data;
    // A bank card's contact chip (EMV, T=0), which answers GET DATA "function not supported".
    expect(
      (
        await put({
          uid: CARD_UID,
          atr: '3B6E000080318066B0840C016E0183009000',
          responses: { FFCA000000: '6A81' },
        })
      ).status,
    ).toBe(201);
    expect(await rejection(1)).toMatchObject({
      source: 'pcsc',
      code: 'card_type_unsupported',
      message:
        'this is a contact chip card (a bank or health card, say), not a contactless card: the reader gives no number for it — ask for the patron’s library or campus card (ATR 3B6E000080318066B0840C016E0183009000)',
    });
    await take();
    // A contactless card of a type the reader does not know (ISO 14443-4, no PC/SC card name).
    expect(
      (await put({ uid: CARD_UID, atr: '3B8180018080', responses: { FFCA000000: '6A81' } })).status,
    ).toBe(201);
    expect(await rejection(2)).toMatchObject({
      code: 'card_type_unsupported',
      message:
        'the reader gives no number for this type of contactless card (GET DATA answered 6A81, function not supported) — ask for the patron’s library or campus card (ATR 3B8180018080)',
    });
    await take();
    // The patron's campus card after it is read as ever.
    const identified = stream.filter((m) => m.event === 'scanner.identified').length;
    expect((await put({ uid: CARD_UID })).status).toBe(201);
    await until(
      () => stream.filter((m) => m.event === 'scanner.identified').length > identified || undefined,
      10_000,
    );
    expect(stream.filter((m) => m.event === 'scanner.identified').at(-1)!.data).toMatchObject({
      value: CARD_UID,
    });
    await take();
  });
});
