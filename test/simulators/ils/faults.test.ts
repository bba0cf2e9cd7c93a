/** Every fault the ILS simulator can show, seen from a raw SIP2 socket. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const AO = 'RIVERSIDE';

let clock: ManualClock;
let simulator: IlsSimulator;
let client: Sip2TestClient;

beforeEach(async () => {
  clock = new ManualClock(START);
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, clock });
  client = await Sip2TestClient.connect(simulator.port);
});

afterEach(async () => {
  client.close();
  await simulator.close();
});

const itemInformation = {
  type: 'itemInformation',
  transactionDate: new Date(START),
  institutionId: AO,
  itemIdentifier: '31000005',
} as const;

/** Resolves once the simulator has scheduled a timer of this name (it does so while handling a frame). */
async function timerScheduled(name: string): Promise<void> {
  while (!clock.pending().includes(name)) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once each connection has read at least its `bytes` and has no request waiting. */
async function readAndSettled(bytes: number[]): Promise<void> {
  const settled = () => {
    const states = simulator.connectionStates();
    return (
      states.length === bytes.length &&
      states.every((state, i) => (state.bytesRead ?? 0) >= bytes[i]! && state.pendingRequests === 0)
    );
  };
  while (!settled()) await new Promise((resolve) => setImmediate(resolve));
}

describe('faults', () => {
  it('latency: the response waits for the clock', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    simulator.setFaults({ latencyMs: 5000 });
    client.send(itemInformation);
    await timerScheduled('ils-response-latency');
    expect(client.bufferedFrames).toBe(0);
    await clock.advance(5000);
    expect(await client.next()).toMatchObject({ type: 'itemInformationResponse', titleIdentifier: 'Dune' });
  });

  it('drop after N messages: the next request is neither answered nor carried out', async () => {
    simulator.setFaults({ dropAfterMessages: 2 });
    await client.login('kiosk1', 'kiosk1pw');
    await client.request(itemInformation, 'itemInformationResponse');
    client.send({
      type: 'checkout',
      scRenewalPolicy: true,
      noBlock: false,
      transactionDate: new Date(START),
      institutionId: AO,
      patronIdentifier: '21000006',
      itemIdentifier: '31000005',
      terminalPassword: '',
    });
    await client.closed;
    expect(client.bufferedFrames).toBe(0);
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
  });

  it('resend requests: the next N of a type are answered 96 and not carried out, then as usual', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    simulator.setFaults({ resendRequests: { type: 'checkout', times: 2 } });
    const checkout = {
      type: 'checkout',
      scRenewalPolicy: true,
      noBlock: false,
      transactionDate: new Date(START),
      institutionId: AO,
      patronIdentifier: '21000006',
      itemIdentifier: '31000005',
      terminalPassword: '',
    } as const;
    for (let i = 0; i < 2; i++) {
      await client.request(checkout, 'requestScResend');
      expect(simulator.state.item('31000005')?.loan).toBeUndefined();
    }
    // Other requests are answered meanwhile, and the third checkout is carried out.
    await client.request(itemInformation, 'itemInformationResponse');
    expect(await client.request(checkout, 'checkoutResponse')).toMatchObject({ ok: true });
    expect(simulator.state.item('31000005')?.loan).toBeDefined();
  });

  it('idle timeout: a silent connection is closed', async () => {
    simulator.setFaults({ idleTimeoutMs: 300_000 });
    await client.login('kiosk1', 'kiosk1pw');
    await clock.advance(299_000);
    expect(simulator.connections).toBe(1);
    await clock.advance(1_000);
    await client.closed;
    expect(simulator.connections).toBe(0);
  });

  it('omit checksums: responses without AY/AZ on an error-detection account', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    simulator.setFaults({ omitChecksums: true });
    client.send(itemInformation);
    const { frame } = await client.nextFrame();
    expect(frame.toString('latin1')).not.toMatch(/AZ[0-9A-F]{4}$/);
    const decoded = client.decode(frame);
    expect(decoded.ok && decoded.checksum).toBe('absent');
    expect(decoded.ok && decoded.warnings.map((w) => w.code)).toContain('checksum_missing');
  });

  it('garbage line: a plain-text line before each response', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    simulator.setFaults({ garbageLine: 'ERROR: database connection lost' });
    client.send(itemInformation);
    const garbage = await client.nextFrame();
    expect(garbage.frame.toString()).toBe('ERROR: database connection lost');
    const decoded = client.decode(garbage.frame);
    expect(decoded.ok || decoded.error.code).toBe('sip2_not_a_message');
    expect(await client.next()).toMatchObject({ type: 'itemInformationResponse' });
  });

  it('force CR LF: every response ends with CR LF', async () => {
    simulator.setFaults({ forceCrLf: true });
    await client.login('kiosk1', 'kiosk1pw');
    client.send(itemInformation);
    const { raw } = await client.nextFrame();
    expect(raw.subarray(-2).toString('latin1')).toBe('\r\n');
    simulator.setFaults({});
    client.send(itemInformation);
    expect((await client.nextFrame()).raw.subarray(-2).toString('latin1')).toMatch(/[^\n]\r$/);
  });

  it('hang: requests are read and none answered, new connections too, until cleared', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    simulator.setFaults({ hang: true });
    const loggedInBytes = simulator.connectionStates()[0]?.bytesRead ?? 0;
    const request = client.encode(itemInformation);
    client.sendRaw(request);
    const fresh = await Sip2TestClient.connect(simulator.port);
    try {
      const login = fresh.encode({
        type: 'login',
        uidAlgorithm: '0',
        pwdAlgorithm: '0',
        loginUserId: 'kiosk1',
        loginPassword: 'kiosk1pw',
        locationCode: 'MAIN',
      });
      fresh.sendRaw(login);
      // Both requests read and handled (nothing waiting), both links open, no answer sent.
      await readAndSettled([loggedInBytes + request.length, login.length]);
      expect(simulator.connections).toBe(2);
      expect(client.bufferedFrames).toBe(0);
      expect(fresh.bufferedFrames).toBe(0);
      expect(simulator.faults()).toEqual({ hang: true });
      // Cleared: answered again; what came during the hang is never answered late.
      simulator.setFaults({});
      expect(await fresh.login('kiosk1', 'kiosk1pw')).toBe(true);
      const answer = await client.request({ ...itemInformation, sequence: 4 }, 'itemInformationResponse');
      expect(answer.sequence).toBe(4);
      expect(client.bufferedFrames).toBe(0);
    } finally {
      fresh.close();
    }
  });

  it('rejects faults it does not know', () => {
    expect(() => simulator.setFaults({ latencyMs: -1 })).toThrow();
    expect(() => simulator.setFaults({ explode: true } as never)).toThrow();
  });
});
