import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { NotificationSession } from '../../../src/devices/gate/index.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import { clearBufferRequest, encodeFeigFrame } from '../../../src/protocols/feig/index.js';

/** One notification as a FEIG gate sends it (one ISO 15693 item; the listener tests' frame). */
const NOTIFICATION = Buffer.from(
  '0200400022001300010035030008e00401500a203fa300090432010421323131303336343300000000f70000004445444932352d45000000360000000004fe47',
  'hex',
);
const ADDRESS = 0x00;

const sessions: NotificationSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});

async function session(ack: boolean) {
  const link = new MockTransport('mock://gate');
  await link.open();
  const made = new NotificationSession(
    link,
    { address: '127.0.0.1', port: 40000 },
    { ack, address: ADDRESS, clock: systemClock },
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
