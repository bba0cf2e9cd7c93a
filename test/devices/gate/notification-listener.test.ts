import { afterEach, describe, expect, it } from 'vitest';
import { crc16Mcrf4xx } from '../../../src/protocols/rfid/crc.js';
import { KEEP_ALIVE, NOTIFICATION, NOTIFICATION_UID as UID } from '../../fixtures/feig/gate-frames.js';
import { type GateEvent, type Rig, startRig } from './gate-rig.js';

const POLL = { timeout: 5000, interval: 20 };

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function listen(refusalLogWindowMs = 60_000): Promise<Rig> {
  rig = await startRig({ refusalLogWindowMs });
  return rig;
}

/** A gate notifying from `address`, its keep-alive timeout long enough that no test sees it. */
function gateAt(address: string, setup: Rig, options: { id?: string } = {}) {
  return setup.gate(undefined, { id: options.id ?? `gate-${address}`, address, keepAliveTimeoutMs: 5000 });
}

/** A simulated gate dialling from `localAddress`, quick to dial again when refused. */
function simFrom(localAddress: string, setup: Rig) {
  return setup.simulator({ localAddress, reconnectMinMs: 20, reconnectMaxMs: 40 });
}

function reframed(frame: Buffer, change: (body: Uint8Array) => void): Buffer {
  const body = Uint8Array.from(frame.subarray(0, -2));
  change(body);
  const crc = crc16Mcrf4xx(body);
  return Buffer.from([...body, crc & 0xff, crc >>> 8]);
}

const tagReads = (events: GateEvent[]) => events.filter((e) => e.type === 'tag_read');

describe('NotificationListener: one port, several gates, an allow-list', () => {
  it('routes each gate its own notifications by source address', async () => {
    const setup = await listen();
    const north = gateAt('127.0.0.2', setup);
    const south = gateAt('127.0.0.4', setup);
    await north.gate.connect();
    await south.gate.connect();
    const simNorth = await simFrom('127.0.0.2', setup);
    const simSouth = await simFrom('127.0.0.4', setup);
    const a = simNorth.walk({ direction: 'out', items: ['31000004'] }).tags[0]!.uid;
    const b = simSouth.walk({ direction: 'out', items: ['31000005'] }).tags[0]!.uid;
    await expect.poll(() => tagReads(north.events).length + tagReads(south.events).length, POLL).toBe(2);
    expect(tagReads(north.events).map((e) => e.data.uid)).toEqual([a]);
    expect(tagReads(south.events).map((e) => e.data.uid)).toEqual([b]);
    expect(setup.listener.allowed().sort()).toEqual(['127.0.0.2', '127.0.0.4']);
  });

  it('refuses an address not on the list, logging it once per window with a count', async () => {
    const setup = await listen(600);
    const known = gateAt('127.0.0.2', setup);
    await known.gate.connect();
    const stranger = await simFrom('127.0.0.3', setup);
    stranger.walk({ direction: 'out', items: ['31000004'] });
    await expect.poll(() => setup.listener.refused, POLL).toBeGreaterThanOrEqual(5);
    const refusals = () => setup.lines.filter((l) => l.source === '127.0.0.3');
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]).toMatchObject({
      level: 'warn',
      msg: expect.stringMatching(/not on the allow-list/),
    });
    await expect.poll(() => refusals().length, POLL).toBeGreaterThanOrEqual(2);
    expect(refusals()[1]).toMatchObject({ refused: expect.any(Number), msg: expect.stringMatching(/^more/) });
    expect(tagReads(known.events)).toEqual([]);
  });

  it('refuses a second gate for an address already taken', async () => {
    const setup = await listen();
    await gateAt('127.0.0.2', setup, { id: 'first' }).gate.connect();
    await expect(gateAt('::ffff:127.0.0.2', setup, { id: 'second' }).gate.connect()).rejects.toMatchObject({
      code: 'gate_address_taken',
    });
  });
});

describe('FeigGate on a notification link full of garbage', () => {
  it('skips noise, corrupt, oversized and lying frames, counts them, and keeps taking notifications', async () => {
    const setup = await listen();
    const { gate, events } = gateAt('127.0.0.1', setup);
    await gate.connect();
    const socket = await setup.dial();
    const corrupt = Buffer.from(NOTIFICATION);
    corrupt[20] = corrupt[20]! ^ 0xff;
    socket.write(
      Buffer.concat([
        Buffer.from('hello gate, here is some noise\r\n'),
        corrupt,
        Buffer.from('02ffff0022', 'hex'), // ALEN 65535: over any frame a gate sends
        reframed(NOTIFICATION, (b) => {
          b[8] = 0x03; // DATA-SETS 3, one record
        }),
        reframed(NOTIFICATION, (b) => {
          b[10] = 0x40; // RECORD-LEN past the end of the frame
        }),
        Buffer.from('020008005200b905', 'hex'), // a valid frame of another command (baud detect reply)
        NOTIFICATION,
        KEEP_ALIVE,
      ]),
    );
    await expect.poll(() => tagReads(events).length, POLL).toBe(1);
    expect(tagReads(events)[0]!.data).toMatchObject({ uid: UID, antenna: 4 });
    await expect.poll(() => events.some((e) => e.type === 'keepalive'), POLL).toBe(true);
    expect(gate.condition()).toMatchObject({ status: 'online' });
    expect(Number(gate.condition().detail.frameErrors)).toBeGreaterThanOrEqual(4);

    // A flood of random bytes, then a notification: still heard.
    socket.write(Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) & 0xff)));
    socket.write(NOTIFICATION);
    await expect.poll(() => tagReads(events).length, POLL).toBe(2);
    // Logged without tag data.
    const logged = JSON.stringify(setup.lines);
    expect(logged).not.toContain(UID);
    expect(logged.toLowerCase()).not.toContain('4445444932352d45');
  });

  it('does not wait for a frame whose length was garbled: a stale partial frame is dropped', async () => {
    const setup = await listen();
    const { gate, events } = gateAt('127.0.0.1', setup);
    await gate.connect();
    const socket = await setup.dial();
    // ALEN 0x1F00: a frame of 7936 bytes that never comes, then a whole notification.
    socket.write(Buffer.concat([Buffer.from('021f000022', 'hex'), NOTIFICATION]));
    await expect.poll(() => tagReads(events).length, POLL).toBe(1);
  });

  it('takes the gate reconnecting as a new connection and closes the old one', async () => {
    const setup = await listen();
    const { gate, events } = gateAt('127.0.0.1', setup);
    await gate.connect();
    const first = await setup.dial();
    first.write(KEEP_ALIVE);
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    // Carrel hangs up the old connection: the gate reads its end.
    const closed = new Promise<void>((resolve) => first.once('end', () => resolve()));
    const second = await setup.dial();
    second.write(NOTIFICATION);
    await closed;
    await expect.poll(() => tagReads(events).length, POLL).toBe(1);
    expect(gate.condition().status).toBe('online');
  });
});
