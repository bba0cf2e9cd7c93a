import { afterEach, describe, expect, it } from 'vitest';
import { HEADER } from '../../../src/protocols/cctalk/index.js';
import { type CashRig, cashRig, MemoryEventStore, until } from './cash-rig.js';

let rig: CashRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const EURO_COINS = [5, 10, 20, 50, 100, 200];

describe('ccTalk coin acceptor against the simulated bus (TCP, with echo)', () => {
  it('identifies the device, reads its coins, and takes none until told which', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    const detail = rig.device.condition().detail;
    expect(detail).toMatchObject({ category: 'Coin Acceptor', manufacturer: 'CRL', serial: 0x00c01a });
    expect(rig.device.channels().map((c) => c.valueMinor)).toEqual(EURO_COINS);
    expect(rig.device.channels().every((c) => c.currency === 'EUR')).toBe(true);
    expect(rig.sim.insertCoin(200)).toMatchObject({ accepted: false, reason: 'inhibited' });
    await rig.device.pollNow();
    expect(rig.store.credited()).toEqual([]);
    expect(rig.store.batches.at(-1)?.statuses).toEqual([
      { code: 2, name: 'inhibited coin', severity: 'reject' },
    ]);
  });

  it('credits each coin once, oldest first, with the counter journaled in the same batch', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    for (const value of [50, 200, 10]) expect(rig.sim.insertCoin(value).accepted).toBe(true);
    await until(() => rig!.store.credited().length === 3);
    expect(rig.store.credited()).toEqual([50, 200, 10]);
    expect(rig.store.counter).toBe(rig.sim.coinAcceptor!.counter);
    expect(rig.sim.state().coinAcceptor?.unread).toBe(0);
  });

  it('accepts only the channels enabled: a 2 euro coin is handed back when only up to 1 euro fits', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5] });
    expect(rig.sim.insertCoin(200)).toMatchObject({ accepted: false, reason: 'inhibited' });
    expect(rig.sim.insertCoin(100)).toMatchObject({ accepted: true });
    await until(() => rig!.store.credited().length === 1);
    expect(rig.store.credited()).toEqual([100]);
  });

  it('loses no credit and credits none twice when answers are dropped, garbled, cut short, noisy or from a wrong address', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    const inserted: number[] = [];
    const faults = [
      { dropAnswers: 2 },
      { garbleAnswers: 2 },
      { truncateAnswers: 1 },
      { noiseBeforeAnswers: 2 },
      { wrongAddressAnswers: 2 },
      { echoMismatches: 1 },
    ];
    for (const [index, fault] of faults.entries()) {
      rig.sim.setFaults(fault);
      const value = EURO_COINS[index % EURO_COINS.length]!;
      rig.sim.insertCoin(value);
      inserted.push(value);
      await until(() => rig!.store.credited().length === inserted.length);
    }
    await rig.device.pollNow();
    expect(rig.store.credited()).toEqual(inserted);
    const line = rig.device.link.stats;
    expect(line.timeouts).toBeGreaterThan(0);
    expect(line.checksumErrors).toBeGreaterThan(0);
    expect(line.wrongAddress).toBeGreaterThan(0);
    expect(line.echoMismatches).toBeGreaterThan(0);
    expect(rig.device.isConnected).toBe(true);
  });

  it('a reply cut short on every attempt is told in its last error with the bytes of the frame dropped', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    rig.sim.setFaults({ truncateAnswers: 3 });
    const error = await until(() => rig!.device.condition().lastError);
    // What the last attempt held of its reply (the framer skips what it can read as other frames).
    expect(error).toMatchObject({
      code: 'cctalk_timeout',
      message: expect.stringMatching(
        /no reply within 100 ms \([1-9]\d* bytes of a truncated frame dropped\)$/,
      ),
    });
    expect(rig.device.isConnected).toBe(true);
  });

  it('a counter that jumps credits nothing: the events lost and what it shows are journaled as unverified, for staff', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.insertCoin(100);
    await until(() => rig!.store.credited().length === 1);
    rig.sim.coinAcceptor!.jumpCounter(40);
    await until(() => rig!.store.batches.some((batch) => batch.reading === 'jump'));
    const jump = rig.store.batches.find((batch) => batch.reading === 'jump')!;
    expect(jump.credits).toEqual([]);
    expect(jump.missed).toBeGreaterThan(30);
    expect(jump.unverified).toEqual([
      { reason: 'events_lost' },
      { reason: 'event_counter_jump', channel: 5, currency: 'EUR', valueMinor: 100 },
    ]);
    expect(rig.store.credited()).toEqual([100]);
    // Resynchronised: the next coin is an ordinary credit.
    rig.sim.insertCoin(20);
    await until(() => rig!.store.credited().length === 2);
    expect(rig.store.credited()).toEqual([100, 20]);
  });

  it('a spare fitted under the same id counts from its own counter: the coins it took before Carrel knew it are neither credited nor taken for money lost', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.insertCoin(100);
    await until(() => rig!.store.credited().length === 1);
    expect(rig.store.serial).toBe(0x00c01a);
    // Unplugged and swapped for a spare, which a technician tried with three coins (its counter 3,
    // two past the old device's 1: read on from that, two of them would be credited).
    await rig.device.disconnect();
    rig.sim.coinAcceptor!.fitSpare(0x00c02b, [
      { a: 5, b: 1 },
      { a: 6, b: 1 },
      { a: 4, b: 1 },
    ]);
    // Carrel restarts with the same journal.
    const { sim, store } = rig;
    rig = await cashRig('coin-acceptor', { sim, store });
    await rig.device.connect();
    const fitted = store.batches.at(-1)!;
    expect(fitted).toMatchObject({
      reading: 'baseline',
      counter: 3,
      replaced: { serial: 0x00c02b, previousSerial: 0x00c01a },
      credits: [],
      unverified: [],
    });
    expect(store.serial).toBe(0x00c02b);
    // The spare's own coins from now on, each once.
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.insertCoin(20);
    await until(() => store.credited().length === 2);
    expect(store.credited()).toEqual([100, 20]);

    // Swapped again while Carrel runs (the link lost, then back): the driver's own counter goes too.
    await rig.device.disconnect();
    rig.sim.coinAcceptor!.fitSpare(0x00c03c, [{ a: 6, b: 1 }]);
    await rig.device.connect();
    expect(store.batches.at(-1)).toMatchObject({
      reading: 'baseline',
      counter: 1,
      replaced: { serial: 0x00c03c, previousSerial: 0x00c02b },
    });
    expect(store.credited()).toEqual([100, 20]);
  });

  it('a counter that wraps 255 → 0 with a coin in its buffer (a reset empties it) loses no coin unsaid', async () => {
    rig = await cashRig('coin-acceptor');
    rig.sim.coinAcceptor!.jumpCounter(254);
    rig.sim.coinAcceptor!.wrapsToZero = true;
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    expect(rig.sim.insertCoin(50).accepted).toBe(true);
    await until(() => rig!.store.counter === 255);
    // The spec's counter goes 255 → 1; this one goes to 0, as after a reset — but a reset empties
    // the buffer, and this buffer shows the coin just taken. It was read as a reset: no credit, nothing said.
    expect(rig.sim.insertCoin(200).accepted).toBe(true);
    await until(() => rig!.store.counter === 0);
    const wrapped = rig.store.batches.at(-1)!;
    expect(wrapped.credits).toEqual([]);
    expect(wrapped.unverified, 'the coin the buffer shows is journaled for staff').toEqual(
      expect.arrayContaining([
        { reason: 'event_counter_jump', channel: 6, currency: 'EUR', valueMinor: 200 },
      ]),
    );
    // Counting on from 0: the next coin is an ordinary credit.
    rig.sim.insertCoin(20);
    await until(() => rig!.store.credited().length === 2);
    expect(rig.store.credited()).toEqual([50, 20]);
  });

  it('after a device reset it sets the inhibits again and counts from 0', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.insertCoin(10);
    await until(() => rig!.store.credited().length === 1);
    rig.sim.coinAcceptor!.reset();
    expect(rig.sim.coinAcceptor!.accepting).toBe(false);
    await until(() => rig!.store.batches.some((batch) => batch.reading === 'reset'));
    await until(() => rig!.sim.coinAcceptor!.accepting);
    rig.sim.insertCoin(50);
    await until(() => rig!.store.credited().length === 2);
    expect(rig.store.credited()).toEqual([10, 50]);
    expect(rig.store.counter).toBe(1);
  });

  it('notices a reset that left the counter at 0 by reading its settings back', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.coinAcceptor!.reset();
    await until(() => rig!.sim.coinAcceptor!.accepting);
    expect(rig.sim.coinAcceptor!.inhibitMask).toBe(0b111111);
  });

  it('sets the acceptance again on the next poll when the device did not answer while it was set, and takes the coins', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    // The master inhibit change that follows the channels' is not heard, all three tries (noise on
    // the way to the device): the device keeps taking nothing.
    let dropped = false;
    rig.sim.bus.on('request', ({ header }: { header: number }) => {
      if (header === HEADER.modifyInhibitStatus && !dropped) {
        dropped = true;
        rig!.sim.setFaults({ dropRequests: 3 });
      }
    });
    await expect(rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] })).rejects.toThrow(
      /no reply/,
    );
    expect(rig.device.acceptance().accepting).toBe(false);
    expect(rig.sim.coinAcceptor!.accepting).toBe(false);
    // The line answers again: the poll sets what was asked for, and says so.
    await until(() => rig!.sim.coinAcceptor!.accepting);
    await until(() => rig!.device.acceptance().accepting);
    expect(rig.device.acceptance().channels).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rig.sim.insertCoin(100)).toMatchObject({ accepted: true });
    await until(() => rig!.store.credited().length === 1);
    expect(rig.store.credited()).toEqual([100]);
  });

  it('reports an error code it does not know, and a jam as degraded until the self-check is clean', async () => {
    rig = await cashRig('coin-acceptor');
    const conditions: string[] = [];
    rig.device.on('condition', (c) => conditions.push(`${c.status}:${c.reason ?? ''}`));
    await rig.device.connect();
    rig.sim.coinAcceptor!.injectEvent({ a: 0, b: 99 });
    await until(() => rig!.store.batches.some((b) => b.statuses.some((s) => s.code === 99)));
    expect(rig.store.batches.flatMap((b) => b.statuses)).toContainEqual({
      code: 99,
      name: 'unknown code 99',
      severity: 'unknown',
    });
    rig.sim.coinAcceptor!.setJammed(true);
    await until(() => rig!.device.condition().status === 'degraded');
    expect(rig.device.condition().reason).toMatch(/credit sensor/);
    rig.sim.coinAcceptor!.setJammed(false);
    await until(() => rig!.device.condition().status === 'online');
    expect(conditions.some((c) => c.startsWith('degraded'))).toBe(true);
  });

  it('stops taking money while its journal cannot write, and credits what came meanwhile once it can', async () => {
    const store = new MemoryEventStore();
    rig = await cashRig('coin-acceptor', { store });
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    rig.sim.insertCoin(200);
    store.failing = true;
    await until(() => !rig!.sim.coinAcceptor!.accepting);
    expect(rig.device.condition()).toMatchObject({
      status: 'degraded',
      reason: 'the credit journal is unavailable',
    });
    expect(rig.sim.insertCoin(100)).toMatchObject({ accepted: false });
    store.failing = false;
    await until(() => store.credited().length === 1);
    expect(store.credited()).toEqual([200]);
    await until(() => rig!.sim.coinAcceptor!.accepting);
    expect(rig.device.condition().status).toBe('online');
  });

  it('refuses a device of the wrong kind at the address', async () => {
    rig = await cashRig('coin-acceptor');
    const { CctalkCashDevice } = await import('../../../src/devices/cash/index.js');
    const { TcpTransport } = await import('../../../src/devices/transport/tcp.js');
    const { systemClock } = await import('../../../src/core/clock.js');
    const { silentLogger } = await import('../../../src/core/logger.js');
    const wrong = new CctalkCashDevice({
      id: 'x',
      kind: 'coin-acceptor',
      address: 40,
      transport: new TcpTransport({ host: '127.0.0.1', port: rig.sim.port }),
      clock: systemClock,
      logger: silentLogger(),
      store: new MemoryEventStore(),
    });
    await expect(wrong.connect()).rejects.toMatchObject({ code: 'cash_wrong_device' });
  });

  it('hears every device on the bus with an address poll', async () => {
    rig = await cashRig('coin-acceptor');
    await rig.device.connect();
    expect(await rig.device.link.addressPoll(300)).toEqual([2, 40]);
  });
});

describe('ccTalk bill validator against the simulated bus', () => {
  it('holds a note in escrow, stacks it when told to, and credits it only once stacked', async () => {
    rig = await cashRig('bill-validator', { decide: 'stack' });
    await rig.device.connect();
    expect(rig.device.channels().map((c) => c.valueMinor)).toEqual([500, 1000, 2000, 5000]);
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4] });
    expect(rig.sim.insertNote(1000)).toMatchObject({ accepted: true, escrow: true });
    await until(() => rig!.store.credited().length === 1);
    const escrowBatch = rig.store.batches.find((batch) => batch.escrow.length > 0)!;
    expect(escrowBatch.credits).toEqual([]);
    expect(rig.store.credited()).toEqual([1000]);
    expect(rig.sim.state().billValidator).toMatchObject({
      escrow: null,
      cashbox: { valueMinor: 1000, count: 1 },
    });
  });

  it('returns a note from escrow when told to, with no credit', async () => {
    rig = await cashRig('bill-validator', { decide: 'return' });
    await rig.device.connect();
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4] });
    rig.sim.insertNote(5000);
    await until(() => rig!.store.batches.some((b) => b.statuses.some((s) => s.code === 1)));
    expect(rig.store.credited()).toEqual([]);
    expect(rig.sim.state().billValidator).toMatchObject({ returned: 1, cashbox: { count: 0 } });
  });

  it('shows a removed and a full cash box as degraded, and back to online when it is in again', async () => {
    rig = await cashRig('bill-validator');
    await rig.device.connect();
    rig.sim.billValidator!.setStacker('removed');
    await until(() => rig!.device.condition().reason?.includes('cash box removed'));
    rig.sim.billValidator!.setStacker('in');
    await until(() => rig!.device.condition().status === 'online');
    rig.sim.billValidator!.setStacker('full');
    await until(() => rig!.device.condition().reason?.includes('cash box full'));
  });

  it('a tamper attempt is an event and makes the device degraded', async () => {
    rig = await cashRig('bill-validator');
    await rig.device.connect();
    rig.sim.billValidator!.tamper();
    await until(() => rig!.device.condition().reason?.includes('tamper'));
    expect(rig.store.batches.flatMap((b) => b.statuses)).toContainEqual({
      code: 9,
      name: 'bill tamper',
      severity: 'fraud',
    });
  });
});
