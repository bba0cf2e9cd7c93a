import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CashSimulator, startCashSimulator } from '../../../simulators/cash/index.js';
import { decodeEventBuffer, encodeFrame, HEADER } from '../../../src/protocols/cctalk/index.js';
import { ByteCollector } from '../../helpers/byte-collector.js';

let sim: CashSimulator | undefined;
let socket: Socket | undefined;
afterEach(async () => {
  socket?.destroy();
  await sim?.close();
});

async function open(options: Parameters<typeof startCashSimulator>[0] = {}) {
  sim = await startCashSimulator({ httpPort: 0, ...options });
  const s = connect(sim.port, '127.0.0.1');
  socket = s;
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  const bytes = new ByteCollector();
  s.on('data', bytes.push);
  return { sim, bytes, send: (frame: Uint8Array) => s.write(frame) };
}

const request = (destination: number, header: number, data: number[] = []) =>
  encodeFrame({ destination, source: 1, header, data: Uint8Array.from(data) });

describe('the simulated ccTalk bus', () => {
  it('echoes the request, then the addressed device answers from its address to the host', async () => {
    const { bytes, send } = await open();
    const poll = request(2, HEADER.simplePoll);
    send(poll);
    expect([...(await bytes.take(5))]).toEqual([...poll]);
    expect([...(await bytes.take(5))]).toEqual([1, 0, 2, 0, 253]);
    send(request(40, HEADER.requestEquipmentCategoryId));
    await bytes.take(5);
    const reply = await bytes.take(5 + 'Bill Validator'.length);
    expect(Buffer.from(reply.subarray(4, -1)).toString('latin1')).toBe('Bill Validator');
  });

  it('does not answer a request with a bad checksum, nor one for an address nobody has', async () => {
    const { bytes, send } = await open();
    const bad = Uint8Array.from(request(2, HEADER.simplePoll));
    bad[4] = bad[4]! ^ 1;
    send(bad);
    send(request(9, HEADER.simplePoll));
    send(request(2, HEADER.simplePoll));
    // Echoes of all three, then exactly one ACK (for the last).
    await bytes.take(15);
    expect([...(await bytes.take(5))]).toEqual([1, 0, 2, 0, 253]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bytes.pending).toBe(0);
  });

  it('a request not heard (dropRequests) is echoed on the wire but neither done nor answered', async () => {
    const { sim, bytes, send } = await open();
    sim.setFaults({ dropRequests: 1 });
    const enable = request(2, HEADER.modifyMasterInhibitStatus, [1]);
    send(enable);
    await bytes.take(enable.length);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bytes.pending).toBe(0);
    expect(sim.coinAcceptor!.accepting).toBe(false);
    // The next is heard: done and ACKed.
    send(enable);
    await bytes.take(enable.length);
    expect([...(await bytes.take(5))]).toEqual([1, 0, 2, 0, 253]);
    expect(sim.coinAcceptor!.accepting).toBe(true);
    expect(sim.state().faults).toMatchObject({ dropRequests: 0 });
  });

  it('counts events 1…255 and then 1, keeping the last five, newest first', async () => {
    const { sim, bytes, send } = await open();
    const coin = sim.coinAcceptor!;
    coin.jumpCounter(253);
    coin.accepting = true;
    coin.inhibitMask = 0xffff;
    for (const value of [5, 10, 20]) sim.insertCoin(value);
    send(request(2, HEADER.readBufferedCreditOrErrorCodes));
    await bytes.take(5);
    const reply = await bytes.take(16);
    const buffer = decodeEventBuffer(reply.subarray(4, -1));
    expect(buffer.counter).toBe(1);
    expect(buffer.results.slice(0, 3)).toEqual([
      { a: 3, b: 1 },
      { a: 2, b: 1 },
      { a: 1, b: 1 },
    ]);
  });

  it('answers an address poll with one raw byte per device, lowest address first', async () => {
    const { bytes, send } = await open();
    send(request(0, HEADER.addressPoll));
    await bytes.take(5);
    expect([...(await bytes.take(2))]).toEqual([2, 40]);
  });

  it('hands a note back when it waits in escrow too long', async () => {
    const { sim } = await open({ escrowTimeoutMs: 50 });
    const bill = sim.billValidator!;
    bill.accepting = true;
    bill.inhibitMask = 0xffff;
    expect(sim.insertNote(2000)).toMatchObject({ accepted: true, escrow: true });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sim.state().billValidator).toMatchObject({ escrow: null, returned: 1, cashbox: { count: 0 } });
  });

  it('is driven over its control API', async () => {
    const { sim } = await open({ currency: 'USD' });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sim.httpUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    expect((await call('POST', '/api/coins', { value: 25 })).json).toMatchObject({
      accepted: false,
      reason: 'inhibited',
    });
    expect((await call('POST', '/api/coins', { value: -1 })).status).toBe(400);
    expect((await call('PUT', '/api/faults', { dropAnswers: 2 })).json).toMatchObject({ dropAnswers: 2 });
    expect((await call('PUT', '/api/faults', { nonsense: 1 })).status).toBe(400);
    expect((await call('PUT', '/api/devices/bill-validator', { stacker: 'removed' })).json).toMatchObject({
      stacker: 'removed',
      fault: 44,
    });
    expect((await call('PUT', '/api/devices/coin-acceptor', { jammed: true })).json).toMatchObject({
      jammed: true,
    });
    const state = (await call('GET', '/api/state')).json;
    expect(state).toMatchObject({
      currency: 'USD',
      coinAcceptor: { address: 2 },
      billValidator: { address: 40 },
    });
    expect((await call('GET', '/api/nothing')).status).toBe(404);
  });
});
