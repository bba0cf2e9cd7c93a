import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPtyPair, type PtyPair } from '../../simulators/common/pty-pair.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { SerialFarEnd } from '../helpers/serial-far-end.js';
import { until } from '../helpers/until.js';

/**
 * The kiosk's serial scanner on a real serial line: a pty pair made with socat, the scanner's
 * end opened with serialport and written to as a scanner does (9600 8N1, CR after each code),
 * the desk's default config for scanner-1 pointed at the other end. What a kiosk sees is its
 * device stream (the identifications WebSocket).
 */
const ascii = (text: string) => Buffer.from(text, 'latin1');

let pair: PtyPair;
let far: SerialFarEnd;
let test: TestDesk;
let ws: WebSocket;
const stream: Array<{ event: string; data: Record<string, unknown> }> = [];

beforeAll(async () => {
  pair = await createPtyPair();
  far = await SerialFarEnd.open(pair.devicePath);
  test = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((device) =>
      device.id === 'scanner-1'
        ? { ...device, transport: { type: 'serial', path: pair.hostPath, baudRate: 9600 } }
        : device,
    ) as typeof config.devices,
  }));
  await waitForDevice(test.api, 'scanner-1', 'online', 15_000);
  ws = new WebSocket(`${test.api.replace('http', 'ws')}/api/v1/scanners/scanner-1/identifications`);
  ws.on('message', (raw) => stream.push(JSON.parse(String(raw))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
}, 30_000);

afterAll(async () => {
  ws?.close();
  await test?.stop();
  await far?.close();
  await pair?.close();
});

const values = () =>
  stream.filter((m) => m.event === 'scanner.identified').map((m) => m.data.value as string);
const codes = () => stream.filter((m) => m.event === 'scanner.rejected').map((m) => m.data.code);

describe('a serial scanner on a pty', () => {
  it('4 KB with no terminator is refused once; the scans after the line went quiet are read, in order', async () => {
    stream.length = 0;
    await far.send(ascii('x'.repeat(4096)));
    await until(() => (codes().includes('scan_too_long') ? true : undefined), 10_000);
    // The line is quiet (a glitch, a scanner reset) for longer than the scanner's quietMs (300).
    await new Promise((resolve) => setTimeout(resolve, 800));
    await far.send(ascii('31000004\r'));
    await far.send(ascii('31000005\r'));
    await until(() => (values().includes('31000005') ? true : undefined), 10_000);
    expect(values()).toEqual(['31000004', '31000005']);
    expect(codes()).toEqual(['scan_too_long']);
  }, 20_000);
});
