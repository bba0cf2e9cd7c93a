/**
 * `carrel start` SIGKILLed while a card's chip is being written: the pad (a FEIG simulator over
 * TCP, in this process) has written the card's number on the chip, and the daemon dies before it
 * has read it back and recorded it. Started again on the same database, the desk does not know
 * whether the chip works: the card's record says so (`chipWriteCutShortAt`), Thrown away is refused
 * in words unless staff confirm the card is destroyed, and Encode chip with the card on the pad
 * settles it by reading the chip. Killed as the printer ejects a card, the issue's outcome is unknown
 * (never a plain failure that invites a second card). The daemon runs the compiled code in dist/:
 * `npm run build` first.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { type CardPrinterSimulator, startCardPrinterSimulator } from '../../simulators/card-printer/index.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { decodeIsoRequest, FeigFrameParser } from '../../src/protocols/feig/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';
import { assertBuilt } from '../helpers/killable-child.js';

/**
 * The card pad's link, passed through frame by frame (FEIG) until the test arms it: then the first
 * chip write (ISO 15693 write multiple blocks) goes on to the pad, and whatever the desk sends once
 * the pad has answered it (its read-back) is held — the chip holds the number, the desk has not
 * read it back. `written()` resolves then.
 */
interface CutShortLink {
  port: number;
  arm(): Promise<void>;
  close(): Promise<void>;
}

async function cutShortLink(padPort: number): Promise<CutShortLink> {
  let armed = false;
  let heard: () => void = () => {};
  const sockets = new Set<Socket>();
  const server: Server = createServer((desk) => {
    const pad = createConnection({ host: '127.0.0.1', port: padPort });
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
    // Per connection: the desk started again connects anew and is passed through.
    let writeSent = false;
    let holding = false;
    desk.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok || holding) continue;
        let write = false;
        try {
          write = decodeIsoRequest(item.frame.command, item.frame.data).kind === 'writeBlocks';
        } catch {
          // Not an ISO host command (the reader's own): passed on.
        }
        if (armed && writeSent && !write) {
          holding = true;
          heard();
          continue;
        }
        if (armed && write) writeSent = true;
        pad.write(item.bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arm() {
      armed = true;
      return new Promise<void>((resolve) => {
        heard = () => {
          armed = false;
          resolve();
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let dir: string;
let configPath: string;
let ils: IlsSimulator;
let printer: CardPrinterSimulator;
let pad: RfidPadSimulator;
let link: CutShortLink;
let daemon: CarrelDaemon | undefined;

async function call(method: 'GET' | 'POST', route: string, body?: unknown) {
  const response = await fetch(`${daemon!.api}/api/v1${route}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

async function startDaemon(): Promise<void> {
  daemon = await startCarrelDaemon(configPath);
  await waitForDevice(daemon.api, 'cards-1', 'online', 15_000);
  await waitForDevice(daemon.api, 'card-pad', 'online', 15_000);
}

/** A blank card laid alone on the pad (whatever lay there taken off), once the desk reads it; its UID. */
async function blankCardAlone(): Promise<string> {
  for (const tag of pad.tags()) pad.remove(String(tag.uid));
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
  return uid;
}

/** Issues a card with a new number, and kills the daemon once its chip holds the number, not read back. */
async function chipWrittenThenKilled(): Promise<{ issueId: string; cardNumber: string; uid: string }> {
  const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  const uid = await blankCardAlone();
  const written = link.arm();
  const encoding = call('POST', `/cards/${issued.json.issueId}/rfid`).catch(() => undefined);
  await written;
  await killDaemon(daemon!.child);
  await encoding;
  return { issueId: issued.json.issueId, cardNumber: issued.json.cardNumber, uid };
}

const record = async (issueId: string) =>
  (await call('GET', '/cards?limit=50')).json.issues.find(
    (issue: { issueId: string }) => issue.issueId === issueId,
  );

beforeAll(async () => {
  await assertBuilt(['src/gateway/families/card-printer', 'src/api/families/card-printer.ts']);
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-chip-cut-short-'));
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  printer = await startCardPrinterSimulator();
  pad = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
  link = await cutShortLink(pad.tcpPort!);
  configPath = writeDaemonConfig(dir, 'chip-cut-short', {
    offline: { enabled: false },
    devices: [
      simulatedIlsDevice(ils.port),
      {
        id: 'card-pad',
        kind: 'rfid-reader',
        protocol: 'feig',
        inventoryIntervalMs: 100,
        transport: { type: 'tcp', host: '127.0.0.1', port: link.port, connectTimeoutMs: 3000 },
      },
      {
        id: 'cards-1',
        kind: 'card-printer',
        transport: { type: 'tcp', host: '127.0.0.1', port: printer.port },
        rfid: { reader: 'card-pad' },
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  if (daemon) await killDaemon(daemon.child);
  await link?.close();
  await pad?.close();
  await printer?.close();
  await ils?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a card’s chip write cut short by a SIGKILL', () => {
  it('is neither encoded nor not after the restart: Thrown away refused in words, Encode chip reads the chip and settles it', async () => {
    await startDaemon();
    const card = await chipWrittenThenKilled();
    await startDaemon();
    // The chip holds the card's number, as the desk reads it now: the write was done, not recorded.
    await expect
      .poll(async () => (await call('GET', '/rfid/card-pad/tags')).json.tags?.[0]?.item?.primaryItemId, {
        timeout: 5000,
      })
      .toBe(card.cardNumber);

    const thrown = await call('POST', `/cards/${card.issueId}/chip-given-up`);
    expect(thrown).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_write_cut_short',
        title: 'The card’s chip may be encoded: its write was cut short',
        detail:
          'Carrel stopped while this card’s chip was being written, so its chip may hold the card number — a working card — and it was not given up: lay the card alone on the RFID pad and press Encode chip, which reads the chip and finishes the write; or, if the card is destroyed (cut through), give it up saying so (confirmCardDestroyed)',
      },
    });
    // Neither encoded nor not: the record says the write was cut short, and gave nothing up.
    const before = await record(card.issueId);
    expect(before).toMatchObject({ chipEncoded: false, chipGivenUpAt: null, rfidUid: null });
    expect(before.chipWriteCutShortAt).toEqual(expect.any(String));

    // The card laid on the pad again: Encode chip reads its chip, which holds the number, and records it.
    const encoded = await call('POST', `/cards/${card.issueId}/rfid`);
    expect(encoded.status, JSON.stringify(encoded.json)).toBe(200);
    expect(encoded.json).toMatchObject({ chipEncoded: true, rfidUid: card.uid, chipWriteCutShortAt: null });
    expect((await call('POST', `/cards/${card.issueId}/chip-given-up`)).json.code).toBe('card_chip_encoded');
  }, 90_000);

  it('gives a cut-short chip up only when staff say the card is destroyed', async () => {
    const card = await chipWrittenThenKilled();
    await startDaemon();
    expect((await record(card.issueId)).chipWriteCutShortAt).toEqual(expect.any(String));
    // A blank card on the pad (the next card the printer made, say) does not get the number: the
    // cut-short card may carry it already, and two chips would work with one number.
    const blank = await blankCardAlone();
    const refused = await call('POST', `/cards/${card.issueId}/rfid`);
    expect(refused).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_write_cut_short',
        detail:
          'the chip on the pad is blank, so nothing was written: it may be another new card’s, and this card’s chip, whose write Carrel did not live to finish, may hold the number already — lay this card alone on the pad and encode again; if its chip is blank too, the write never reached it: cut the card through, press Destroyed and print the patron a new card',
      },
    });
    expect(pad.tags().find((tag) => tag.uid === blank)).toMatchObject({
      memoryHex: expect.stringMatching(/^0+$/),
    });
    expect(await record(card.issueId)).toMatchObject({
      chipEncoded: false,
      chipWriteCutShortAt: expect.any(String),
    });
    expect((await call('POST', `/cards/${card.issueId}/chip-given-up`, {})).json.code).toBe(
      'card_chip_write_cut_short',
    );
    const destroyed = await call('POST', `/cards/${card.issueId}/chip-given-up`, {
      confirmCardDestroyed: true,
    });
    expect(destroyed.status, JSON.stringify(destroyed.json)).toBe(200);
    expect(destroyed.json).toMatchObject({ chipEncoded: false, chipGivenUpAt: expect.any(String) });
    // Given up, it is not encoded after all.
    expect((await call('POST', `/cards/${card.issueId}/rfid`)).json.code).toBe('card_chip_given_up');
  }, 90_000);

  it.skipIf(chromiumSkipReason() !== undefined)(
    'says so on the card page, and offers Encode chip and Destroyed for it',
    async () => {
      const card = await chipWrittenThenKilled();
      await startDaemon();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${daemon!.api}/cards`);
        const offer = page.locator('#chip-cards li', { hasText: card.cardNumber });
        await expect
          .poll(() => offer.locator('span').textContent(), { timeout: 10_000 })
          .toBe(
            `Card ${card.cardNumber}: Carrel stopped while its chip was being written, so the chip may already work. Lay the card alone on the pad and press Encode chip to finish; if the card is destroyed, press Destroyed.`,
          );
        expect(await offer.getByRole('button', { name: 'Thrown away' }).count()).toBe(0);
        await offer.getByRole('button', { name: `Encode chip of card ${card.cardNumber}` }).click();
        await expect
          .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
          .toBe(`Chip of card ${card.cardNumber} encoded and read back: the card is ready.`);
        expect(await record(card.issueId)).toMatchObject({ chipEncoded: true, chipWriteCutShortAt: null });
      } finally {
        await browser.close();
      }
    },
    90_000,
  );
});

describe('a card issue cut short by a SIGKILL as the printer ejects the card', () => {
  it('is not recorded as a plain failure that invites a second card: the patron’s next card waits for the output hopper, the same request is not done again', async () => {
    if (!daemon || daemon.child.exitCode !== null || daemon.child.signalCode !== null) await startDaemon();
    const model = printer.model as EvolisModel;
    const handle = model.handle.bind(model);
    // The printer ejects the card, made, and Carrel dies before its answer (a power cut, SIGKILL).
    model.handle = (command) => {
      if (command.name !== 'Se') return handle(command);
      model.handle = handle;
      const reply = handle(command);
      daemon!.child.kill('SIGKILL');
      return reply;
    };
    const cards = printer.cards().length;
    const request = { patron: '21000002', number: 'patron', requestId: randomUUID() };
    await call('POST', '/cards', request).catch(() => undefined);
    await killDaemon(daemon!.child);
    expect(printer.cards().slice(cards)).toMatchObject([{ outcome: 'printed', tracks: { 2: '21000002' } }]);
    await startDaemon();

    // The answer lost, the desk sends the same request again: it is not printed again.
    const again = await call('POST', '/cards', request);
    expect(again).toMatchObject({ status: 409, json: { code: 'request_in_doubt' } });
    // Staff look the issue up: it does not say the card failed, but that it may be in the hopper.
    const issues = (await call('GET', '/cards?limit=50')).json.issues;
    const cut = issues.find((issue: { patron: string }) => issue.patron === '21000002');
    expect(cut).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
    // Printing the patron a card anew waits until staff have looked in the output hopper.
    const next = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    expect(next).toMatchObject({ status: 409, json: { code: 'card_outcome_unknown' } });
    expect(printer.cards()).toHaveLength(cards + 1);
    // The card is there: it is the patron's card.
    const found = await call('POST', `/cards/${cut.issueId}/found-in-hopper`);
    expect(found).toMatchObject({ status: 200, json: { issueId: cut.issueId, result: 'issued' } });
  }, 90_000);
});
