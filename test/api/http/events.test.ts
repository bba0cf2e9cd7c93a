/**
 * The event WebSocket with several clients at once, as a desk has them (the staff page, the gates
 * page, IT's dashboard, a monitoring tool): each hears what it asked for and may see, in order, as
 * text; a client too slow to read is dropped without holding up the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TokenConfig } from '../../../src/api/http/auth.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import type { ApiModule } from '../../../src/api/operations.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceEvent } from '../../../src/devices/device-state.js';
import { AUTH, TEST_TOKENS } from './api-rig.js';
import { fakeServices, onlinePrinter } from './fake-services.js';

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

async function listening(
  modules: readonly ApiModule[] = FAMILY_API_MODULES,
  tokens: TokenConfig[] = TEST_TOKENS,
) {
  const fake = fakeServices([onlinePrinter('receipt-1'), onlinePrinter('receipt-2')]);
  api = await buildHttpApi({
    modules,
    services: fake.services,
    logger: silentLogger(),
    tokens,
    version: 'test',
  });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as { port: number };
  return { bus: fake.bus, url: (query = '') => `ws://127.0.0.1:${port}/api/v1/events${query}` };
}

/** A client of the event stream: every message as it came (its text, and whether it came as a text frame). */
async function client(url: string, headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers });
  const texts: string[] = [];
  const binary: boolean[] = [];
  let waiting: { count: number; heard: () => void } | undefined;
  socket.on('message', (data, isBinary) => {
    texts.push(String(data));
    binary.push(isBinary);
    if (waiting && texts.length >= waiting.count) waiting.heard();
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  await expect.poll(() => texts.length).toBe(1); // the snapshot
  return {
    socket,
    texts,
    binary,
    /** Resolves once `count` messages in all have come. */
    heard: (count: number) =>
      new Promise<void>((resolve) => {
        if (texts.length >= count) resolve();
        else waiting = { count, heard: resolve };
      }),
    messages: () => texts.map((text) => JSON.parse(text) as { event: string; data: Record<string, unknown> }),
    closed: new Promise<number>((resolve) => socket.on('close', (code) => resolve(code))),
  };
}

const PATRON = '23300012345678';

function scanned(role: 'patron' | 'item', value: string): DeviceEvent {
  return {
    device: 'scanner-1',
    type: 'scanner.identified',
    time: '2026-12-07T10:00:00.000Z',
    data: {
      source: 'serial',
      kind: 'barcode',
      value,
      device: 'scanner-1',
      at: '2026-12-07T10:00:00.000Z',
      role,
    },
  };
}

describe('the event WebSocket with several clients', () => {
  it("gives a kiosk following its scanner and IT's monitor following every device each what it may see, and nothing more", async () => {
    const { bus, url } = await listening();
    const kiosk = await client(url('?devices=scanner-1'), AUTH.kiosk);
    const monitor = await client(url(), AUTH.monitor);

    bus.emit('device.state', { ...onlinePrinter('receipt-1'), status: 'offline', reason: 'peer closed' });
    bus.emit('device.event', scanned('patron', PATRON));
    bus.emit('device.event', { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} });
    bus.emit('device.event', scanned('item', '39000123'));
    await expect.poll(() => monitor.texts.length).toBe(5);
    await expect.poll(() => kiosk.texts.length).toBe(3);

    const patronScan = {
      event: 'device.event',
      data: {
        device: 'scanner-1',
        type: 'scanner.identified',
        time: '2026-12-07T10:00:00.000Z',
        data: {
          source: 'serial',
          kind: 'barcode',
          value: null,
          redacted: true,
          device: 'scanner-1',
          at: '2026-12-07T10:00:00.000Z',
          role: 'patron',
        },
      },
    };
    const itemScan = { event: 'device.event', data: scanned('item', '39000123') };
    // The kiosk asked for its scanner only: no printer, not in the snapshot either.
    expect(kiosk.messages()).toEqual([{ event: 'snapshot', data: { devices: [] } }, patronScan, itemScan]);
    expect(monitor.messages()).toEqual([
      {
        event: 'snapshot',
        data: {
          devices: [
            expect.objectContaining({ device: 'receipt-1' }),
            expect.objectContaining({ device: 'receipt-2' }),
          ],
        },
      },
      { event: 'device.state', data: expect.objectContaining({ device: 'receipt-1', status: 'offline' }) },
      patronScan,
      {
        event: 'device.event',
        data: { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} },
      },
      itemScan,
    ]);
    // A patron's barcode reaches neither (the kiosk reads it whole on the scanner's own stream), and
    // every message is a text frame, as a browser's page reads it.
    for (const each of [kiosk, monitor]) {
      expect(each.texts.join('\n')).not.toContain(PATRON);
      expect(each.binary.every((isBinary) => !isBinary)).toBe(true);
    }
  });

  it('makes a device event public once, however many clients hear it, and not at all when none wants it', async () => {
    const madePublic: string[] = [];
    const counting: ApiModule = {
      name: 'counting',
      publicEvent: (event) => {
        madePublic.push(event.type);
        return event;
      },
    };
    const { bus, url } = await listening([...FAMILY_API_MODULES, counting]);
    const clients = [
      await client(url('?devices=receipt-1'), AUTH.staff),
      await client(url(), AUTH.monitor),
      await client(url('?devices=receipt-1,receipt-2'), AUTH.kiosk),
    ];
    bus.emit('device.event', { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} });
    bus.emit('device.event', { device: 'gate-9', type: 'gate.alarm', time: 'now', data: {} });
    await expect.poll(() => clients.map((each) => each.texts.length)).toEqual([2, 3, 2]);
    // Once they have gone, nobody hears the gate.
    for (const each of clients) each.socket.close();
    await Promise.all(clients.map((each) => each.closed));
    await expect.poll(() => bus.listenerCount('device.state')).toBe(0);
    bus.emit('device.event', { device: 'gate-9', type: 'gate.alarm', time: 'now', data: {} });
    expect(madePublic).toEqual(['printer.paper_out', 'gate.alarm']);
  });

  it('drops a client that stopped reading (1008) while the others hear every event', async () => {
    const { bus, url } = await listening();
    const slow = await client(url(), AUTH.monitor);
    const fast = await client(url('?devices=receipt-1'), AUTH.staff);
    slow.socket.pause();
    // ~20 MB in 100 KB events: more than the kernel's socket buffers and the 1 MiB the desk keeps for a client.
    const text = 'x'.repeat(100 * 1024);
    for (let n = 1; n <= 200; n++) {
      bus.emit('device.event', {
        device: 'receipt-1',
        type: 'printer.job_failed',
        time: 'now',
        data: { n, text },
      });
      await fast.heard(1 + n);
    }
    slow.socket.resume();
    expect(await slow.closed).toBe(1008);
    expect(slow.texts.length).toBeLessThan(201);
    expect(
      fast
        .messages()
        .slice(1)
        .map((message) => (message.data.data as { n: number }).n),
    ).toEqual(Array.from({ length: 200 }, (_, n) => n + 1));
    expect(fast.socket.readyState).toBe(WebSocket.OPEN);
  });
});
