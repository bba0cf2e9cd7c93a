import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CardPrinterSimulator, startCardPrinterSimulator } from '../../simulators/card-printer/index.js';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { decodeIsoRequest, FeigFrameParser } from '../../src/protocols/feig/index.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';

const STAFF = 'staff-token-0123456789abcdef';

/**
 * The card pad's TCP link, passed through frame by frame (FEIG), holding the desk's first chip write
 * (ISO 15693 write multiple blocks), or the next one once asked, and everything after it until the test lets it go: the chip is
 * being written, the pad not answered yet, for as long as the test needs — no timing guessed.
 */
interface HeldPadLink {
  port: number;
  /** Resolves when the desk has sent a chip write, now held. */
  writeHeld(): Promise<void>;
  /** Holds the next chip write the desk sends (once the one before was let go). */
  holdNextWrite(): void;
  /** Sends the held write on, and whatever the desk sent after it. */
  release(): void;
  close(): Promise<void>;
}

async function holdPadWrites(padPort: number): Promise<HeldPadLink> {
  let held: Uint8Array[] | undefined;
  let holdNext = true;
  let heard: () => void = () => {};
  let written = new Promise<void>((resolve) => {
    heard = resolve;
  });
  let upstream: Socket | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((desk) => {
    const pad = createConnection({ host: '127.0.0.1', port: padPort });
    upstream = pad;
    for (const socket of [desk, pad]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        desk.destroy();
        pad.destroy();
      });
    }
    pad.on('data', (chunk: Buffer) => desk.write(chunk));
    const parser = new FeigFrameParser();
    desk.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok) continue;
        if (held) {
          held.push(item.bytes);
          continue;
        }
        const { command, data } = item.frame;
        let write = false;
        try {
          write = decodeIsoRequest(command, data).kind === 'writeBlocks';
        } catch {
          // Not an ISO host command (the reader's own): passed on.
        }
        if (write && holdNext) {
          holdNext = false;
          held = [item.bytes];
          heard();
          continue;
        }
        pad.write(item.bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    writeHeld: () => written,
    holdNextWrite() {
      holdNext = true;
      written = new Promise<void>((resolve) => {
        heard = resolve;
      });
    },
    release() {
      const frames = held ?? [];
      held = undefined;
      for (const frame of frames) upstream?.write(frame);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A device's TCP link passed through as it is, until the test holds what the desk sends (a card
 * printer's link mid-print: the print is under way, the printer not answered) and lets it go.
 */
interface HeldLink {
  port: number;
  /** Holds everything the desk sends from now on. */
  hold(): void;
  /** Sends on what was held, and passes everything through again. */
  release(): void;
  close(): Promise<void>;
}

async function holdableLink(devicePort: number): Promise<HeldLink> {
  let held: Array<{ to: Socket; bytes: Buffer }> | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((desk) => {
    const device = createConnection({ host: '127.0.0.1', port: devicePort });
    for (const socket of [desk, device]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        desk.destroy();
        device.destroy();
      });
    }
    device.on('data', (chunk: Buffer) => desk.write(chunk));
    desk.on('data', (chunk: Buffer) => {
      if (held) held.push({ to: device, bytes: chunk });
      else device.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold() {
      held ??= [];
    },
    release() {
      const chunks = held ?? [];
      held = undefined;
      for (const { to, bytes } of chunks) to.write(bytes);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Encode chip and Thrown away pressed for the same card at once (two PCs of the desk): while its
 * chip is being written, the card's chip is not given up, nor encoded a second time — each refused
 * in words, 409 card_chip_being_encoded — and the write, once answered, is recorded alone: the card
 * is never recorded both encoded and thrown away. The desk's card pad is a FEIG pad simulator over
 * TCP, its link held at the chip write. The mirror: a card's chip is not encoded while a new card
 * replacing it is being printed — the card printer an Evolis simulator over TCP, its link held mid-print.
 */
describe('a card’s chip being encoded', () => {
  let testDesk: TestDesk;
  let pad: RfidPadSimulator;
  let link: HeldPadLink;
  let printer: CardPrinterSimulator;
  let printerLink: HeldLink;

  beforeAll(async () => {
    pad = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    link = await holdPadWrites(pad.tcpPort!);
    printer = await startCardPrinterSimulator();
    printerLink = await holdableLink(printer.port);
    testDesk = await startTestDesk((config) => ({
      ...withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }]),
      devices: config.devices.map((device) =>
        device.kind === 'rfid-reader' && device.id === 'card-pad'
          ? {
              ...device,
              transport: { type: 'tcp', host: '127.0.0.1', port: link.port, connectTimeoutMs: 3000 },
            }
          : device.kind === 'card-printer' && device.id === 'cards-1'
            ? {
                ...device,
                transport: { type: 'tcp', host: '127.0.0.1', port: printerLink.port, connectTimeoutMs: 3000 },
              }
            : device,
      ),
    }));
    await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000, STAFF);
    await waitForDevice(testDesk.api, 'card-pad', 'online', 15_000, STAFF);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
    await link?.close();
    await pad?.close();
    await printerLink?.close();
    await printer?.close();
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await fetch(`${testDesk.api}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${STAFF}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    return { status: response.status, json: (await response.json()) as any };
  }

  /** A blank card laid alone on the card pad (whatever lay there taken off), once the desk reads it there; its UID. */
  async function blankCardAlone(): Promise<string> {
    for (const tag of pad.tags()) pad.remove(String(tag.uid));
    const uid = String(pad.place({ preset: 'blank' }).uid);
    await expect
      .poll(
        async () =>
          ((await call('GET', '/rfid/card-pad/tags')).json.tags ?? []).map((t: { uid: string }) => t.uid),
        { timeout: 5000 },
      )
      .toEqual([uid]);
    return uid;
  }

  it('refuses to give up or encode again a chip being written, in words, and records the write alone', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.status).toBe(200);
    const { issueId, cardNumber } = issued.json;
    // The card laid alone on the card pad, its chip blank, once the desk reads it there.
    const uid = String(pad.place({ preset: 'blank' }).uid);
    await expect
      .poll(
        async () =>
          ((await call('GET', '/rfid/card-pad/tags')).json.tags ?? []).map((t: { uid: string }) => t.uid),
        {
          timeout: 5000,
        },
      )
      .toEqual([uid]);

    const encoding = call('POST', `/cards/${issueId}/rfid`);
    await link.writeHeld();
    // The write is on its way to the chip, the pad not answered: another PC presses Thrown away,
    // and Encode chip.
    const givenUp = await call('POST', `/cards/${issueId}/chip-given-up`);
    expect(givenUp).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_being_encoded',
        title: 'The card’s chip is being encoded now',
        detail:
          'its chip is being encoded now, so it was not given up: wait for the encoding to end — encoded, the card works; not encoded, press Encode chip or Thrown away again',
      },
    });
    const again = await call('POST', `/cards/${issueId}/rfid`);
    expect(again).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_being_encoded',
        detail:
          'its chip is being encoded now, so it was not encoded again: wait for the encoding to end — encoded, the card works; not encoded, press Encode chip or Thrown away again',
      },
    });
    link.release();
    const encoded = await encoding;
    expect(encoded).toMatchObject({
      status: 200,
      json: { issueId, cardNumber, rfidUid: uid, chipGivenUpAt: null },
    });
    const record = (await call('GET', '/cards?limit=5')).json.issues.find(
      (issue: { issueId: string }) => issue.issueId === issueId,
    );
    expect(record).toEqual(encoded.json);
    // Written once it has ended, the card works: Thrown away is refused as for any encoded chip.
    expect(await call('POST', `/cards/${issueId}/chip-given-up`)).toMatchObject({
      status: 409,
      json: { code: 'card_chip_encoded' },
    });
  });
  it('refuses a reprint replacing a card whose chip is being written, in words, and prints nothing', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.status).toBe(200);
    const { issueId, cardNumber } = issued.json;
    // The card encoded before taken off; the new card laid alone on the card pad, its chip blank.
    await blankCardAlone();
    link.holdNextWrite();
    const encoding = call('POST', `/cards/${issueId}/rfid`);
    await link.writeHeld();
    // The write on its way to the chip: at another PC, staff reprint the patron's card, replacing it.
    const printedBefore = (await call('GET', '/cards?limit=50')).json.issues.length;
    const reprint = await call('POST', '/cards', {
      patron: '21000001',
      number: 'allocate',
      replaces: cardNumber,
    });
    expect(reprint).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_being_encoded',
        title: 'The card’s chip is being encoded now',
        detail:
          'the chip of the card named as replaced is being encoded now, so nothing was printed: wait for the encoding to end, then print the new card replacing it',
      },
    });
    expect(JSON.stringify(reprint.json)).not.toContain(cardNumber);
    expect((await call('GET', '/cards?limit=50')).json.issues.length).toBe(printedBefore);
    link.release();
    expect(await encoding).toMatchObject({ status: 200, json: { issueId, replacedBy: null } });
    // The write ended (a working card): the reprint replaces it now, its ILS step to block it.
    const later = await call('POST', '/cards', {
      patron: '21000001',
      number: 'allocate',
      replaces: cardNumber,
    });
    expect(later).toMatchObject({ status: 200, json: { result: 'issued', replaces: cardNumber } });
  });
  it('refuses to encode a card’s chip while a new card replacing it is being printed, in words, and writes nothing', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.status).toBe(200);
    const { issueId, cardNumber } = issued.json;
    const uid = await blankCardAlone();
    // At another PC, staff reprint the patron's card, replacing it: the printer's link held mid-print.
    printerLink.hold();
    const reprint = call('POST', '/cards', { patron: '21000001', number: 'allocate', replaces: cardNumber });
    try {
      await expect
        .poll(
          async () =>
            (await call('GET', '/cards?limit=50')).json.issues.find(
              (issue: { replaces: string | null }) => issue.replaces === cardNumber,
            )?.result,
          { timeout: 5000 },
        )
        .toBe('printing');
      const encoded = await call('POST', `/cards/${issueId}/rfid`);
      expect(encoded).toMatchObject({
        status: 409,
        json: {
          code: 'card_being_replaced',
          title: 'A card replacing this one is being printed now',
          detail:
            'a new card replacing this one is being printed now, so nothing was written: its chip would make a second working card beside the new one — wait for the print to end: printed, encode the new card’s chip and throw this one away; not printed, press Encode chip again',
        },
      });
      expect(JSON.stringify(encoded.json)).not.toContain(cardNumber);
    } finally {
      printerLink.release();
    }
    // Nothing was written: the card on the pad is blank still.
    const tags = (await call('GET', '/rfid/card-pad/tags')).json.tags;
    expect(tags).toEqual([
      expect.objectContaining({ uid, item: expect.objectContaining({ format: 'blank' }) }),
    ]);
    expect(await reprint).toMatchObject({ status: 200, json: { result: 'issued', replaces: cardNumber } });
    // Printed, the new card replaces it: its chip is refused as any replaced card's.
    expect(await call('POST', `/cards/${issueId}/rfid`)).toMatchObject({
      status: 409,
      json: { code: 'card_replaced' },
    });
  });
});
