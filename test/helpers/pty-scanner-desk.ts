/**
 * The simulated desk with its serial scanner `scanner-1` on a real serial line: a socat pty pair,
 * the scanner's end opened with serialport (`far`, written to as a scanner does: 9600 8N1), the
 * desk's end in scanner-1's transport, `scan` laid over its scan settings; and the scanner's device
 * stream (the identifications WebSocket) as a kiosk reads it.
 */
import WebSocket from 'ws';
import { createPtyPair, type PtyPair } from '../../simulators/common/pty-pair.js';
import { startTestDesk, type TestDesk, waitForDevice } from './desk.js';
import { SerialFarEnd } from './serial-far-end.js';

export interface PtyScannerDesk {
  test: TestDesk;
  /** The scanner's end of the line. */
  far: SerialFarEnd;
  /** Every message of the identifications stream so far; empty it between tests. */
  stream: Array<{ event: string; data: Record<string, unknown> }>;
  /** The values identified, in order. */
  values(): string[];
  /** The scans refused, in order. */
  rejections(): Array<{ code: string; message: string }>;
  stop(): Promise<void>;
}

export async function startPtyScannerDesk(scan: Record<string, unknown> = {}): Promise<PtyScannerDesk> {
  let pair: PtyPair | undefined;
  let far: SerialFarEnd | undefined;
  let test: TestDesk | undefined;
  let ws: WebSocket | undefined;
  const stop = async () => {
    ws?.close();
    await test?.stop();
    await far?.close();
    await pair?.close();
  };
  try {
    pair = await createPtyPair();
    far = await SerialFarEnd.open(pair.devicePath);
    const hostPath = pair.hostPath;
    test = await startTestDesk((config) => ({
      ...config,
      devices: config.devices.map((device) =>
        device.id === 'scanner-1' && device.kind === 'scanner'
          ? {
              ...device,
              transport: { type: 'serial', path: hostPath, baudRate: 9600 },
              scan: { ...device.scan, ...scan },
            }
          : device,
      ) as typeof config.devices,
    }));
    await waitForDevice(test.api, 'scanner-1', 'online', 15_000);
    const stream: PtyScannerDesk['stream'] = [];
    const socket = new WebSocket(
      `${test.api.replace('http', 'ws')}/api/v1/scanners/scanner-1/identifications`,
    );
    ws = socket;
    socket.on('message', (raw) => stream.push(JSON.parse(String(raw))));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return {
      test,
      far,
      stream,
      values: () => stream.filter((m) => m.event === 'scanner.identified').map((m) => m.data.value as string),
      rejections: () =>
        stream
          .filter((m) => m.event === 'scanner.rejected')
          .map((m) => m.data as { code: string; message: string }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
