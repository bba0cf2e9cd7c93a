import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceCondition } from '../../../src/devices/device.js';
import type { FeigGate, FeigGateOptions } from '../../../src/devices/gate/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { decodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';
import { KEEP_ALIVE, NOTIFICATION, NOTIFICATION_UID } from '../../fixtures/feig/gate-frames.js';
import { garblingLine } from '../../helpers/garbling-line.js';
import { StallingProxy } from '../../helpers/stalling-proxy.js';
import { type Rig, startRig } from './gate-rig.js';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

const POLL = { timeout: 5000, interval: 20 };

/**
 * A gate driver without a command port, connected, and the gate's notification connection to it
 * (a gate not in ACK mode unless said, as a real one): the gate has dialled and been heard (one
 * keep-alive), the link is online.
 */
async function gateHeard(options: Partial<FeigGateOptions>) {
  const { gate, events } = rig.gate(undefined, options);
  await gate.connect();
  const socket = await rig.dial();
  socket.write(KEEP_ALIVE);
  await expect.poll(() => gate.notificationLink().state, POLL).toBe('online');
  return { gate, events, socket };
}

/**
 * A gate heard, its connection then closed under it (offline), and the gate back on a new one
 * (online again): when it was last heard before, and when it was heard again (epoch ms).
 */
async function gateBackOnANewConnection(options: Partial<FeigGateOptions>) {
  const heardAt = (gate: FeigGate) => Date.parse(gate.condition().detail.lastFrameAt as string);
  const { gate, socket: first } = await gateHeard({ keepAliveTimeoutMs: 0, ...options });
  const conditions: DeviceCondition[] = [];
  gate.on('condition', (condition) => conditions.push(condition));
  const lastHeard = heardAt(gate);
  first.destroy();
  await expect.poll(() => gate.notificationLink().state, POLL).toBe('offline');
  // What it sent meanwhile went nowhere, and a gate not in ACK mode does not send it again.
  const second = await rig.dial();
  second.write(KEEP_ALIVE);
  await expect.poll(() => gate.notificationLink().state, POLL).toBe('online');
  return { gate, conditions, lastHeard, back: heardAt(gate) };
}

describe('FeigGate against the simulated gate over TCP', () => {
  it('reports a person walking out with a secured item as a tag_read carrying the item tag', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(sim);
    await gate.connect();
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    const walked = sim.walk({ direction: 'out', items: ['31000004'] });
    expect(walked).toMatchObject({ alarmed: true, notified: 1 });
    await expect.poll(() => events.filter((e) => e.type === 'tag_read').length, POLL).toBe(1);
    const read = events.find((e) => e.type === 'tag_read')!.data;
    expect(read).toMatchObject({
      uid: walked.tags[0]!.uid,
      transponderType: 0x03,
      blockSize: 4,
      antenna: 0x02,
      source: 'notification',
    });
    const item = decodeIso28560Part3(read.memory as Uint8Array);
    expect(item).toMatchObject({ ok: true, fields: { primaryItemId: '31000004', isil: 'SE-RPL' } });
    // An item on loan (AFI 0xC2) walks through without a report; the person is still counted.
    expect(sim.walk({ direction: 'out', items: ['31000005'], secured: false })).toMatchObject({
      notified: 0,
    });
    expect(sim.state().counters).toEqual({ in: 0, out: 2 });
  });

  it('goes offline when keep-alives stop and back online when they flow again', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(sim, { keepAliveTimeoutMs: 400 });
    const conditions: string[] = [];
    gate.on('condition', (c) => conditions.push(`${c.status}:${c.detail.notificationLink}`));
    await gate.connect();
    await expect.poll(() => events.filter((e) => e.type === 'keepalive').length, POLL).toBeGreaterThan(2);
    expect(gate.condition()).toMatchObject({ status: 'online', reason: null });

    sim.setFaults({ keepAlivesStop: true });
    await expect.poll(() => gate.notificationLink().state, POLL).toBe('offline');
    expect(gate.condition()).toMatchObject({
      status: 'degraded',
      reason: 'no keep-alive from the gate for 0.4 s',
      detail: { notificationLink: 'offline' },
    });

    sim.setFaults({ keepAlivesStop: false });
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    expect(conditions).toEqual(expect.arrayContaining(['degraded:offline', 'online:online']));
    // The silent connection was kept open: the keep-alives came back on it, and nothing of what the
    // gate sent on it can have been lost, so nothing is said of missed alarms.
    expect(sim.state().notifications.connects).toBe(1);
    expect(gate.condition().lastError).toBeUndefined();
  });

  it('says a gate that has connected but not yet spoken has connected, and what Carrel waits for', async () => {
    const { gate } = rig.gate(undefined, { keepAliveTimeoutMs: 400 });
    const conditions: DeviceCondition[] = [];
    gate.on('condition', (condition) => conditions.push(condition));
    await gate.connect();
    expect(gate.condition()).toMatchObject({ status: 'degraded', reason: 'waiting for the gate to connect' });
    // The gate dials in (a FEIG gate's first keep-alive comes one KEEP-ALIVE-TIME later).
    const socket = await rig.dial();
    // Not online before it has said anything, but not said to be missing either.
    const connected =
      'the gate has connected and sent nothing yet: Carrel waits for its first keep-alive or notification';
    await expect.poll(() => conditions.map((c) => c.reason), POLL).toContain(connected);
    expect(conditions.find((c) => c.reason === connected)).toMatchObject({
      status: 'degraded',
      detail: {
        notificationLink: 'offline',
        lastFrameAt: null,
        peer: expect.stringMatching(/^127\.0\.0\.1:/),
      },
    });
    // Silent for its whole keep-alive time since it connected: said as of any silent gate.
    await expect.poll(() => gate.condition().reason, POLL).toBe('no keep-alive from the gate for 0.4 s');
    socket.write(KEEP_ALIVE);
    await expect.poll(() => gate.condition(), POLL).toMatchObject({ status: 'online', reason: null });
  });

  it('takes an alarm the gate sends on the link its keep-alive check found silent: nothing of it is lost', async () => {
    // A gate not in ACK mode, as a real one: its connection open; it has not noticed anything amiss.
    const { gate, events, socket } = await gateHeard({ keepAliveTimeoutMs: 300 });
    // Its keep-alives stop (a busy reader, a congested switch): the check finds the link silent.
    await expect.poll(() => gate.notificationLink().state, POLL).toBe('offline');
    expect(gate.condition().reason).toBe('no keep-alive from the gate for 0.3 s');
    // Then someone walks out with a book, and the gate sends its alarm on the connection it has.
    socket.write(NOTIFICATION);
    await expect.poll(() => events.filter((e) => e.type === 'tag_read').length, POLL).toBe(1);
    expect(events.find((e) => e.type === 'tag_read')!.data).toMatchObject({ uid: NOTIFICATION_UID });
    expect(gate.notificationLink().state).toBe('online');
  });

  it('says to staff between which times a gate without ACKs may have sent alarms that never came, when its link comes back', async () => {
    const { gate, conditions, lastHeard, back } = await gateBackOnANewConnection({ ack: false });
    const told = gate.condition().lastError;
    expect(told).toMatchObject({ code: 'gate_alarms_may_be_missed' });
    const clock = (at: number) => new Date(at).toTimeString().slice(0, 8);
    expect(told!.message).toContain(`between ${clock(lastHeard)} and ${clock(back)}`);
    expect(told!.message).toMatch(/alarms.*may not have reached Carrel/);
    // Told with the link coming back online, as a device's last error (the dashboard shows it).
    expect(conditions.at(-1)).toMatchObject({ status: 'online', lastError: told });
  });

  it('says nothing of missed alarms for a gate in ACK mode: it sends again what was not acknowledged', async () => {
    const { gate } = await gateBackOnANewConnection({ ack: true });
    expect(gate.condition().lastError).toBeUndefined();
  });

  it('survives the gate being unplugged: offline, one disconnected, and back after a reconnect', async () => {
    const sim = await rig.simulator();
    const { gate, disconnects } = rig.gate(sim);
    await gate.connect();
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    sim.setFaults({ unplugged: true });
    await expect.poll(() => disconnects.length, POLL).toBe(1);
    await expect.poll(() => gate.notificationLink().state, POLL).toBe('offline');
    await expect(gate.connect()).rejects.toMatchObject({ code: expect.any(String) });
    sim.setFaults({ unplugged: false });
    await expect
      .poll(
        () =>
          gate.connect().then(
            () => 'connected',
            () => 'refused',
          ),
        POLL,
      )
      .toBe('connected');
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    expect(disconnects).toHaveLength(1);
  });

  it('says in words that a gate answering no commands is gone (its cable pulled, keep-alives off), and is back once it answers', async () => {
    const sim = await rig.simulator({ keepAliveMs: 0 });
    const cable = await StallingProxy.start(sim.commandPort);
    const { gate, disconnects } = rig.gate(sim, {
      commandTransport: new TcpTransport({ host: '127.0.0.1', port: cable.port }),
      keepAliveTimeoutMs: 0,
      timeouts: { command: 150 },
    });
    try {
      await gate.connect();
      await gate.readCounters();
      // The cable is pulled: nothing comes back, nothing says the link closed.
      cable.stall();
      for (let i = 0; i < 3; i++)
        await expect(gate.readCounters()).rejects.toMatchObject({ code: 'timeout' });
      await expect.poll(() => disconnects.length, POLL).toBe(1);
      expect(disconnects[0]!.message).toMatch(/not answering.*3 commands in a row/);
      // Plugged in again: connecting again works, and so does the counter.
      cable.resume();
      await gate.connect();
      expect(await gate.readCounters()).toEqual(sim.state().counters);
    } finally {
      await cable.close();
    }
  });

  it('answers the next command after a reply whose length came garbled: the bytes held for it are let go when it times out', async () => {
    const sim = await rig.simulator({ keepAliveMs: 0 });
    const line = await garblingLine(sim.commandPort);
    const { gate, disconnects } = rig.gate(sim, {
      commandTransport: new TcpTransport({ host: '127.0.0.1', port: line.port }),
      keepAliveTimeoutMs: 0,
      timeouts: { command: 300 },
    });
    try {
      await gate.connect();
      // A hit on the line: the counter reply's length says 512 bytes, and the rest never comes.
      line.garbleNextReply();
      await expect(gate.readCounters()).rejects.toMatchObject({ code: 'timeout' });
      // The gate answers the next command as usual, and it is taken.
      sim.walk({ direction: 'in' });
      expect(await gate.readCounters()).toEqual({ in: 1, out: 0 });
      expect(disconnects).toEqual([]);
      // The garbled reply is counted as such, for IT.
      expect(gate.condition().detail.commandFrameErrors).toBe(1);
    } finally {
      await line.close();
    }
  });

  it('says in words that the gate refused the connection to its command port, never the transport’s', async () => {
    // A port nothing listens on: the gate's command port is another, or the gate is starting up.
    const nobody = net.createServer();
    await new Promise<void>((resolve) => nobody.listen(0, '127.0.0.1', resolve));
    const { port } = nobody.address() as net.AddressInfo;
    await new Promise((resolve) => nobody.close(resolve));
    const { gate } = rig.gate(undefined, {
      commandTransport: new TcpTransport({ host: '127.0.0.1', port }),
    });
    const refused = await gate.connect().then(
      () => undefined,
      (error: Error & { code: string }) => error,
    );
    expect(refused).toMatchObject({
      code: 'gate_link_refused',
      message:
        "the gate refused the connection to its command port: it may be starting up, or the port in Carrel's configuration is not its command port",
    });
  });

  it('in ACK mode answers each notification with [0x32], so the gate sends the next one', async () => {
    const sim = await rig.simulator({ ack: true, ackTimeoutMs: 300 });
    const { gate, events } = rig.gate(sim, { ack: true });
    await gate.connect();
    sim.walk({ direction: 'in', items: ['31000004'] });
    sim.walk({ direction: 'in', items: ['31000005'] });
    await expect.poll(() => events.filter((e) => e.type === 'tag_read').length, POLL).toBe(2);
    await expect.poll(() => sim.state().notifications.acks, POLL).toBe(2);
    expect(sim.state().notifications).toMatchObject({ queued: 0, awaitingAck: false });
    expect(sim.state().notifications.framesSent.resent).toBe(0);
  });

  it('without ACKs a gate in ACK mode repeats its notification and holds the next', async () => {
    const sim = await rig.simulator({ ack: true, ackTimeoutMs: 100 });
    const { gate, events } = rig.gate(sim, { ack: false });
    await gate.connect();
    sim.walk({ direction: 'in', items: ['31000004'] });
    sim.walk({ direction: 'in', items: ['31000005'] });
    await expect.poll(() => sim.state().notifications.framesSent.resent, POLL).toBeGreaterThan(0);
    expect(sim.state().notifications).toMatchObject({ queued: 1, awaitingAck: true, acks: 0 });
    const uids = new Set(events.filter((e) => e.type === 'tag_read').map((e) => e.data.uid));
    expect(uids.size).toBe(1);
  });

  it('switches the alarm off and on, each verified by reading the gate back', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(sim);
    await gate.connect();
    expect(gate.condition().detail.alarm).toEqual({ on: true, loops: 0x0f });
    expect(await gate.setAlarm(false)).toEqual({ on: false, loops: 0x0f });
    expect(sim.state().alarm).toEqual({ on: false, loops: 0x0f, configuredOn: false });
    expect(sim.state().cpuResets).toBe(1);
    expect(sim.walk({ direction: 'out', items: ['31000004'] }).alarmed).toBe(false);
    expect(await gate.setAlarm(true)).toEqual({ on: true, loops: 0x0f });
    expect(sim.state().alarm.on).toBe(true);
    expect(await gate.readAlarm()).toEqual({ on: true, loops: 0x0f });
    // As the gate says it: read as it connected, after each switch, and when read again.
    expect(events.filter((e) => e.type === 'alarm_state').map((e) => e.data.on)).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('rejects an alarm change the gate does not keep', async () => {
    const sim = await rig.simulator();
    const { gate } = rig.gate(sim);
    await gate.connect();
    sim.model.writeBlock = () => {}; // The gate acknowledges the write but keeps its old configuration.
    await expect(gate.setAlarm(false)).rejects.toMatchObject({ code: 'gate_alarm_not_verified' });
    expect(sim.state().alarm.on).toBe(true);
  });

  it('reads the people counters and resets them', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(sim);
    await gate.connect();
    sim.walk({ direction: 'in' });
    sim.walk({ direction: 'in', items: ['31000004'] });
    sim.walk({ direction: 'out' });
    expect(await gate.readCounters()).toEqual({ in: 2, out: 1 });
    expect(await gate.resetCounters()).toEqual({ in: 0, out: 0 });
    expect(sim.state().counters).toEqual({ in: 0, out: 0 });
    expect(events.filter((e) => e.type === 'counter').map((e) => e.data)).toEqual([
      expect.objectContaining({ in: 2, out: 1, reset: false }),
      expect.objectContaining({ in: 0, out: 0, reset: true }),
    ]);
  });

  it('without a command port, notifications still flow and alarm calls say why they cannot', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(undefined);
    await gate.connect();
    sim.walk({ direction: 'out', items: ['31000004'] });
    await expect.poll(() => events.some((e) => e.type === 'tag_read'), POLL).toBe(true);
    await expect(gate.setAlarm(true)).rejects.toMatchObject({ code: 'gate_no_command_link' });
  });

  it('counts frames garbled on the line, loses nothing once the line is clean again', async () => {
    const sim = await rig.simulator();
    const { gate, events } = rig.gate(sim, { keepAliveTimeoutMs: 2000 });
    await gate.connect();
    await expect.poll(() => gate.condition().status, POLL).toBe('online');
    sim.setFaults({ garbledFrames: true });
    sim.walk({ direction: 'out', items: ['31000004'] });
    await expect.poll(() => Number(gate.condition().detail.frameErrors), POLL).toBeGreaterThan(1);
    expect(events.some((e) => e.type === 'tag_read')).toBe(false);
    sim.setFaults({ garbledFrames: false });
    sim.walk({ direction: 'out', items: ['31000005'] });
    await expect.poll(() => events.filter((e) => e.type === 'tag_read').length, POLL).toBe(1);
    // Logged at info, without tag data, one line for the whole burst.
    const lines = rig.lines.filter((l) => /not a valid frame/.test(l.msg));
    expect(lines.length).toBe(1);
    expect(lines[0]!.level).toBe('info');
  });
});
