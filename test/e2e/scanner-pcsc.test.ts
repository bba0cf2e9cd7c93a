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
});
