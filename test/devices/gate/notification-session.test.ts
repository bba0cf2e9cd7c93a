import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../../src/core/clock.js';
import { NotificationSession } from '../../../src/devices/gate/index.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import { clearBufferRequest, encodeFeigFrame } from '../../../src/protocols/feig/index.js';
import { KEEP_ALIVE, NOTIFICATION } from '../../fixtures/feig/gate-frames.js';

const ADDRESS = 0x00;

const sessions: NotificationSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});

async function session(ack: boolean, clock: Clock = systemClock) {
  const link = new MockTransport('mock://gate');
  await link.open();
  const made = new NotificationSession(
    link,
    { address: '127.0.0.1', port: 40000 },
    { ack, address: ADDRESS, clock },
  );
  sessions.push(made);
  return { link, session: made };
}

const ACK = Buffer.from(encodeFeigFrame(clearBufferRequest(ADDRESS)));

describe('NotificationSession in ACK mode', () => {
  it("clears the gate's buffer ([0x32]) only after the notification is handed on", async () => {
    const { link, session: notifications } = await session(true);
    const writesSeen: number[] = [];
    notifications.on('notification', () => writesSeen.push(link.writes.length));
    link.inject(NOTIFICATION);
    await expect.poll(() => link.writes.length).toBe(1);
    expect(writesSeen).toEqual([0]);
    expect(link.writes[0]).toEqual(ACK);
    expect(notifications.acks).toBe(1);
  });

  it('acknowledges even when a listener throws, so the gate is not left waiting', async () => {
    const { link, session: notifications } = await session(true);
    notifications.on('notification', () => {
      throw new Error('a listener of ours failed');
    });
    expect(() => link.inject(NOTIFICATION)).toThrow('a listener of ours failed');
    await expect.poll(() => link.writes.length).toBe(1);
    expect(link.writes[0]).toEqual(ACK);
  });

  it('writes nothing to a gate not in ACK mode', async () => {
    const { link, session: notifications } = await session(false);
    let handed = 0;
    notifications.on('notification', () => handed++);
    link.inject(NOTIFICATION);
    link.inject(NOTIFICATION);
    expect(handed).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.writes).toHaveLength(0);
  });
});

describe('NotificationSession on a link that cuts frames across reads', () => {
  it('takes a notification cut at any byte, its first part read with the end of the frame before it', async () => {
    // A busy or slow link (a congested switch, Wi-Fi): a read ends inside the next frame, so part of
    // a frame is held a while after part of another was: each frame whole within 0.2 s, but some
    // frame's start held, on and off, for longer than the 1 s after which a frame start that never
    // completes (a garbled length) is given up.
    const stream = Buffer.concat([KEEP_ALIVE, NOTIFICATION]);
    for (let at = 1; at < NOTIFICATION.length; at++) {
      const clock = new ManualClock();
      const { link, session: notifications } = await session(false, clock);
      const heard: string[] = [];
      notifications.on('keepalive', () => heard.push('keepalive'));
      notifications.on('notification', () => heard.push('notification'));
      notifications.on('frame_error', (code) => heard.push(code));
      const cut = KEEP_ALIVE.length + at;
      link.inject(stream.subarray(0, 5));
      await clock.advance(900);
      link.inject(stream.subarray(5, cut));
      await clock.advance(200);
      link.inject(stream.subarray(cut));
      expect(heard, `the notification cut after its byte ${at}`).toEqual(['keepalive', 'notification']);
    }
  });

  it('gives up a frame start whose length was garbled 1 s after it came, however many bytes come behind it', async () => {
    const clock = new ManualClock();
    const { link, session: notifications } = await session(false, clock);
    const heard: string[] = [];
    notifications.on('notification', () => heard.push('notification'));
    notifications.on('frame_error', (code) => heard.push(code));
    // ALEN 0x1F00: a frame of 7936 bytes that never comes; a notification behind it, a part a read.
    link.inject(Buffer.from('021f000022', 'hex'));
    for (let at = 0; at < NOTIFICATION.length; at += 16) {
      await clock.advance(200);
      link.inject(NOTIFICATION.subarray(at, at + 16));
    }
    await clock.advance(999 - 200 * Math.ceil(NOTIFICATION.length / 16));
    expect(heard).toEqual([]);
    await clock.advance(1);
    expect(heard.filter((what) => what === 'notification')).toHaveLength(1);
  });
});
