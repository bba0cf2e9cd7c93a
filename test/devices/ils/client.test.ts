/**
 * The SIP2 client against a scripted SIP2 server over real TCP: login, the
 * request fields, vendor fields, error detection, 96 and 97, raw frames and
 * what reaches the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { DeviceCondition } from '../../../src/devices/device.js';
import { IlsError } from '../../../src/devices/ils/index.js';
import { decodeSip2Message, sip2Checksum } from '../../../src/protocols/sip2/index.js';
import { ScriptedLibrary } from './circulation-script.js';
import { capturingLogger, clientFor } from './helpers.js';
import { DATE, ScriptedServer, withDefaults } from './scripted-server.js';

let server: ScriptedServer;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

async function connected(...args: Parameters<typeof clientFor> extends [number, ...infer R] ? R : never) {
  const client = clientFor(server.port, ...args);
  await client.connect();
  cleanups.push(() => client.disconnect());
  return client;
}

describe('SIP2 client against a scripted server', () => {
  it('logs in with user, password and location, then asks the status; frames carry AY/AZ', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = await connected();
    const [login, status] = server.received;
    expect(login?.message).toMatchObject({
      type: 'login',
      loginUserId: 'kiosk',
      loginPassword: 'secretpw',
      locationCode: 'MAIN',
      sequence: 0,
    });
    expect(status?.message).toMatchObject({ type: 'scStatus', protocolVersion: '2.00', sequence: 1 });
    expect(login?.text).toMatch(/AY0AZ[0-9A-F]{4}$/);
    expect(client.pool.acsStatus()).toMatchObject({ onlineStatus: true, institutionId: 'INST' });
  });

  it('fills institution, terminal password and PIN into a patron information request and returns every field', async () => {
    server = await ScriptedServer.start();
    server.script = withDefaults((request, reply) => {
      if (request.type !== 'patronInformation') return;
      const body = `64              001${DATE}000000000001000000000000AOINST|AA${request.patronIdentifier}|AEZoe|BLY|CQY|AUitem1|XXvendor value|AY${request.sequence}AZ`;
      reply.sendRaw(`${body}${sip2Checksum(Buffer.from(body))}\r`);
    });
    const client = await connected();
    const answer = await client.patronInformation('21000001', {
      pin: '1234',
      summary: 'chargedItems',
      range: { start: 1, end: 5 },
    });
    const request = server.requests('patronInformation')[0]!;
    expect(request).toMatchObject({
      institutionId: 'INST',
      patronIdentifier: '21000001',
      terminalPassword: 'termpw',
      patronPassword: '1234',
      summary: 'chargedItems',
      startItem: '1',
      endItem: '5',
    });
    expect(answer.message).toMatchObject({
      type: 'patronInformationResponse',
      personalName: 'Zoe',
      validPatron: true,
      validPatronPassword: true,
      chargedItems: ['item1'],
      chargedItemsCount: 1,
      extraFields: [{ id: 'XX', value: 'vendor value' }],
    });
    expect(answer.checksum).toBe('valid');
  });

  it('hands the decoder warnings to the caller (a free-form due date)', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        reply.send({
          type: 'itemInformationResponse',
          circulationStatus: 'charged',
          securityMarker: 'none',
          feeType: 'other',
          transactionDate: DATE,
          itemIdentifier: request.itemIdentifier,
          titleIdentifier: 'Dune',
          dueDate: '2026-02-27',
        });
      }),
    );
    const client = await connected();
    const answer = await client.itemInformation('31000005');
    expect(answer.message).toMatchObject({ dueDate: '2026-02-27', circulationStatus: { name: 'charged' } });
    expect(answer.warnings.map((w) => w.code)).toContain('free_form_date');
  });

  it('appends vendor fields to every request, or only to the messages named', async () => {
    const library = new ScriptedLibrary();
    server = await ScriptedServer.start(library.script);
    const client = await connected({
      extraFields: [
        { id: 'ZK', value: 'kiosk-7' },
        { id: 'ZC', value: 'only-checkout', messages: ['11'] },
      ],
    });
    await client.checkout('21000001', '31000005');
    await client.itemInformation('31000005');
    const login = server.requests('login')[0]!;
    const checkout = server.requests('checkout')[0]!;
    const item = server.requests('itemInformation')[0]!;
    expect(login.extraFields).toEqual([{ id: 'ZK', value: 'kiosk-7' }]);
    expect(checkout.extraFields).toEqual([
      { id: 'ZK', value: 'kiosk-7' },
      { id: 'ZC', value: 'only-checkout' },
    ]);
    expect(item.extraFields).toEqual([{ id: 'ZK', value: 'kiosk-7' }]);
  });

  it('never sends a field of the request twice with two values: a vendor rule for one it carries is left out, said once', async () => {
    const capture = capturingLogger();
    const library = new ScriptedLibrary();
    server = await ScriptedServer.start(library.script);
    const client = await connected(
      {
        extraFields: [
          // CP is the login's location (MAIN here) and no field of a checkout or a 17.
          { id: 'CP', value: 'BRANCH2' },
          // AO is every circulation request's institution (INST here).
          { id: 'AO', value: 'OTHER', messages: ['11', '17'] },
        ],
      },
      { logger: capture.logger },
    );
    await client.checkout('21000001', '31000005');
    await client.itemInformation('31000005');
    await client.checkout('21000001', '31000006');
    // Each value of a field the ILS reads: its own place's and any sent again after it.
    const values = (type: string, id: string, index = 0) => {
      const { message } = server.received.filter((entry) => entry.message.type === type)[index]!;
      const own = (message as unknown as Record<string, unknown>)[
        id === 'CP' ? 'locationCode' : 'institutionId'
      ];
      const again = (message.extraFields ?? [])
        .filter((field) => field.id === id)
        .map((field) => field.value);
      return [...(typeof own === 'string' ? [own] : []), ...again];
    };
    expect(values('login', 'CP')).toEqual(['MAIN']);
    for (const [type, index] of [
      ['checkout', 0],
      ['itemInformation', 0],
      ['checkout', 1],
    ] as const) {
      expect(values(type, 'AO', index), type).toEqual(['INST']);
      // Where the request has no CP of its own, the vendor field goes, once.
      expect(values(type, 'CP', index), type).toEqual(['BRANCH2']);
    }
    const said = capture
      .text()
      .split('\n')
      .filter((line) => line.includes('vendor field'))
      .map((line) => JSON.parse(line).msg);
    expect(said).toEqual([
      expect.stringContaining('vendor field CP (location code) not added to message 93'),
      expect.stringContaining('vendor field AO (institution id) not added to message 11'),
      expect.stringContaining('vendor field AO (institution id) not added to message 17'),
    ]);
  });

  it('sends a vendor field whose id is lower-case (zq), as an ILS that asks for one reads it', async () => {
    const library = new ScriptedLibrary();
    server = await ScriptedServer.start(library.script);
    const client = await connected({
      extraFields: [
        { id: 'zq', value: 'desk-3' },
        { id: 'Zc', value: 'only-checkout', messages: ['11'] },
      ],
    });
    await client.checkout('21000001', '31000005');
    const checkout = server.requests('checkout')[0]!;
    expect(checkout.extraFields).toEqual([
      { id: 'zq', value: 'desk-3' },
      { id: 'Zc', value: 'only-checkout' },
    ]);
    const frame = server.received.find((entry) => entry.message.type === 'checkout')!.text;
    expect(frame).toMatch(/\|zqdesk-3\|Zconly-checkout\|AY\dAZ[0-9A-F]{4}$/);
  });

  it('sends no AY/AZ with error detection off', async () => {
    server = await ScriptedServer.start(withDefaults());
    server.errorDetection = false;
    const client = await connected({ errorDetection: false });
    await client.status();
    for (const { text } of server.received) expect(text).not.toMatch(/AY\dAZ/);
  });

  it('sends the same request again when the server answers 96, within the limit', async () => {
    let resendsAsked = 0;
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        if (resendsAsked++ < 2) {
          reply.sendRaw('96AZFEF6\r');
          return;
        }
        reply.send({
          type: 'itemInformationResponse',
          circulationStatus: 'available',
          securityMarker: 'none',
          feeType: 'other',
          transactionDate: DATE,
          itemIdentifier: request.itemIdentifier,
          titleIdentifier: 'Dune',
        });
      }),
    );
    const client = await connected();
    const answer = await client.itemInformation('31000005');
    expect(answer.message.circulationStatus.name).toBe('available');
    const sent = server.received.filter((r) => r.message.type === 'itemInformation').map((r) => r.text);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(1);
  });

  it('says the ILS answered with another sequence number (AY) than asked, not that it never answered', async () => {
    // An ILS that does not echo the request's AY (here: always 5 on from it): its answers are not
    // taken — one could be an earlier request's — but IT is told what came, and what to set.
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        const body = `1803020120260101    120000ABit-1|AJDune|AY${((request.sequence ?? 0) + 5) % 10}AZ`;
        reply.sendRaw(`${body}${sip2Checksum(Buffer.from(body))}\r`);
      }),
    );
    const client = await connected({ requestTimeoutMs: 300 });
    const error = await client.itemInformation('it-1').then(
      () => undefined,
      (failure: IlsError) => failure,
    );
    expect(error).toMatchObject({ code: 'ils_timeout' });
    expect(error?.message).toMatch(/answered with sequence number \d \(AY\) where \d was sent/);
    expect(error?.message).toContain('errorDetection: false');
    // What the health of the link says (devices, /readyz, MQTT).
    expect(client.pool.condition().lastError?.message).toMatch(/answered with sequence number/);
  });

  it('gives up with ils_resend_limit when the server keeps answering 96', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation') reply.sendRaw('96AZFEF6\r');
      }),
    );
    const { logger, text } = capturingLogger();
    const client = await connected({ maxResends: 2 }, { logger });
    const error = await client.itemInformation('31000005').then(
      () => undefined,
      (reason: unknown) => reason as IlsError,
    );
    expect(error).toMatchObject({ code: 'ils_resend_limit' });
    expect(server.requests('itemInformation')).toHaveLength(3);
    // An ILS that never reads a request is nearly always one whose checksum option or charset is
    // not Carrel's: the error, the link's health and the log say what to check, not only the count.
    const toCheck = /errorDetection.*charset/;
    expect(error?.message).toMatch(toCheck);
    const health = client.pool.condition();
    expect(health.status).toBe('degraded');
    expect(health.reason).toMatch(toCheck);
    expect(health.lastError).toMatchObject({ code: 'ils_resend_limit' });
    expect(text()).toMatch(/"level":40.*errorDetection.*charset/);
    // The heartbeat answered meanwhile (a charset trouble spares plain-ASCII requests) does not
    // take it out of the health before staff had a chance to see it.
    await client.status();
    expect(client.pool.condition().reason).toMatch(toCheck);
  });

  // Per transaction (connect, 93, request, 35, close) no connection stays open to be asked (99) on
  // a heartbeat: what the link publishes must still follow the window, with and without requests.
  describe.each([
    { mode: 'pooled', perTransaction: false },
    { mode: 'per-transaction', perTransaction: true },
  ])('after the ILS kept asking for a request again (96), $mode', ({ perTransaction }) => {
    /** A scripted ILS that answers 96 to every item lookup while `asking()`, else the item. */
    async function askingIls(asking: () => boolean) {
      server = await ScriptedServer.start(
        withDefaults((request, reply) => {
          if (request.type !== 'itemInformation') return;
          if (asking()) reply.sendRaw('96AZFEF6\r');
          else
            reply.send({
              type: 'itemInformationResponse',
              circulationStatus: 'available',
              securityMarker: 'other',
              feeType: 'other',
              transactionDate: DATE,
              itemIdentifier: request.itemIdentifier,
              titleIdentifier: 'Dune',
            });
        }),
      );
    }

    /**
     * The link to an ILS that asks for every item lookup again while `asking()`, on a clock the test
     * moves, after a first lookup it asked for again past the link's limit; and the statuses it
     * published (what the supervisor, the dashboard and MQTT show).
     */
    async function linkAfterResends(asking: () => boolean) {
      await askingIls(asking);
      const clock = new ManualClock();
      const client = await connected({ maxResends: 1, perTransaction }, { clock });
      const published: string[] = [];
      client.pool.on('condition', (condition: DeviceCondition) => published.push(condition.status));
      await expect(client.itemInformation('31000005')).rejects.toMatchObject({ code: 'ils_resend_limit' });
      return { client, published, clock };
    }

    it('keeps the link degraded for 15 minutes, then online', async () => {
      let asking = true;
      const { client, published, clock } = await linkAfterResends(() => asking);
      expect(published.at(-1)).toBe('degraded');
      asking = false;
      await clock.advance(14 * 60_000);
      await client.itemInformation('31000005');
      expect(client.pool.condition().status).toBe('degraded');
      expect(published.at(-1)).toBe('degraded');
      await clock.advance(60_000);
      await client.itemInformation('31000005');
      expect(client.pool.condition()).toMatchObject({ status: 'online', reason: null });
      expect(client.pool.condition().lastError).toBeUndefined();
      expect(published.at(-1)).toBe('online');
    });

    it('publishes the link online when the 15 minutes end with no request meanwhile', async () => {
      const { client, published, clock } = await linkAfterResends(() => true);
      await clock.advance(15 * 60_000 - 1);
      expect(published.at(-1)).toBe('degraded');
      await clock.advance(1);
      expect(published.at(-1)).toBe('online');
      expect(client.pool.condition()).toMatchObject({ status: 'online', reason: null });
    });

    it('publishes the link online at the end of the 15 minutes after it went down and came back within them', async () => {
      const { client, published, clock } = await linkAfterResends(() => true);
      await clock.advance(5 * 60_000);
      await client.pool.disconnect();
      await client.pool.connect();
      expect(published.at(-1)).toBe('degraded');
      await clock.advance(10 * 60_000);
      expect(published.at(-1)).toBe('online');
    });

    it('starts the 15 minutes again at a later 96', async () => {
      let asking = true;
      const { client, published, clock } = await linkAfterResends(() => asking);
      await clock.advance(10 * 60_000);
      await expect(client.itemInformation('31000005')).rejects.toMatchObject({ code: 'ils_resend_limit' });
      asking = false;
      await clock.advance(10 * 60_000);
      expect(published.at(-1)).toBe('degraded');
      expect(client.pool.condition().status).toBe('degraded');
      await clock.advance(5 * 60_000);
      expect(published.at(-1)).toBe('online');
    });
  });

  it('asks for a garbled answer again with 97 and takes the good copy', async () => {
    const updated = {
      type: 'itemStatusUpdateResponse',
      itemPropertiesOk: true,
      transactionDate: DATE,
      itemIdentifier: 'I1',
    } as const;
    let sequence = 0;
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemStatusUpdate') {
          // The answer arrives with a wrong checksum.
          sequence = request.sequence ?? 0;
          reply.sendRaw(`201${DATE}ABI1|AY${sequence}AZ0000\r`);
        } else if (request.type === 'requestAcsResend') {
          reply.send({ ...updated, sequence });
        }
      }),
    );
    const client = await connected();
    const answer = await client.itemStatusUpdate('I1', 'shelf 4');
    expect(answer.message).toMatchObject({
      type: 'itemStatusUpdateResponse',
      itemPropertiesOk: true,
      itemIdentifier: 'I1',
    });
    expect(answer.checksum).toBe('valid');
    const asked = server.received.find((r) => r.message.type === 'requestAcsResend');
    expect(asked?.text).toBe('97AZFEF5');
  });

  it('sends a raw frame with AY/AZ added and returns the decoded answer', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = await connected();
    const answer = await client.raw('9900802.00');
    expect(answer.message).toMatchObject({ type: 'acsStatus', onlineStatus: true });
    const sent = server.received.at(-1)!;
    expect(sent.text).toMatch(/^9900802\.00AY2AZ[0-9A-F]{4}$/);
    expect(decodeSip2Message(sent.text).ok).toBe(true);
  });

  it('sends a raw 97 with error detection as 97AZFEF5: a checksum, no sequence number', async () => {
    server = await ScriptedServer.start(withDefaults());
    // The scripted server does not answer a 97: only what went out matters here.
    const client = await connected({ requestTimeoutMs: 100 });
    await client.raw('97').catch(() => undefined);
    expect(server.received.at(-1)?.text).toBe('97AZFEF5');
  });

  it('with institutionFromAcs and no institution configured, requests carry the AO of the 98', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = await connected({ institution: '' }, { institutionFromAcs: true });
    await client.endSession('21000001');
    expect(server.requests('endPatronSession')[0]).toMatchObject({ institutionId: 'INST' });
  });

  it('without institutionFromAcs, an unconfigured institution stays empty', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = await connected({ institution: '' });
    await client.endSession('21000001');
    expect(server.requests('endPatronSession')[0]).toMatchObject({ institutionId: '' });
  });

  it('never logs PINs, passwords or patron ids, even at debug level', async () => {
    const library = new ScriptedLibrary();
    server = await ScriptedServer.start(library.script);
    const { logger, text } = capturingLogger();
    const client = await connected({}, { logger });
    await client.patronInformation('21000001', { pin: '9876' });
    await client.checkout('21000001', '31000005', { pin: '9876' });
    const log = text();
    expect(log).toContain('SIP2 frame');
    expect(log).toContain('31000005');
    for (const secret of ['9876', 'secretpw', 'termpw', '21000001', 'Zoe Example']) {
      expect(log).not.toContain(secret);
    }
  });

  it('reads a | inside a title or screen message as part of it (SIP2 has no escape), not as a field of its own', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        const head = `18030201${DATE}ABi1|AJTintin | Tibet|AFRenew at the desk | or online|AY${request.sequence}AZ`;
        reply.sendRaw(`${head}${sip2Checksum(Buffer.from(head, 'latin1'))}\r`);
      }),
    );
    const client = await connected();
    const answer = await client.itemInformation('i1');
    expect(answer.message).toMatchObject({
      titleIdentifier: 'Tintin | Tibet',
      screenMessage: ['Renew at the desk | or online'],
    });
    expect((answer.message as { extraFields?: unknown }).extraFields).toBeUndefined();
    expect(answer.warnings.map((warning) => warning.code)).toEqual([
      'delimiter_in_value',
      'delimiter_in_value',
    ]);
  });

  it('reads a title Koha and Evergreen wrote with &#124; with its |, and a vendor field Zq as a field of its own', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        const head = `18030201${DATE}ABi1|AJTINTIN&#124;TIBET|CK001|AQMAIN|Zqvendor note|AY${request.sequence}AZ`;
        reply.sendRaw(`${head}${sip2Checksum(Buffer.from(head, 'latin1'))}\r`);
      }),
    );
    const client = await connected();
    const answer = await client.itemInformation('i1');
    expect(answer.message).toMatchObject({
      titleIdentifier: 'TINTIN|TIBET',
      mediaType: { code: '001', name: 'book' },
      permanentLocation: 'MAIN',
      extraFields: [{ id: 'Zq', value: 'vendor note' }],
    });
    expect(answer.warnings).toEqual([]);
  });

  it('rejects a request it cannot encode with ils_bad_request, and the link stays usable', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = await connected();
    const error = await client.itemInformation('a|b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IlsError);
    expect(error).toMatchObject({ code: 'ils_bad_request', requestSent: false });
    await expect(client.status()).resolves.toMatchObject({ message: { type: 'acsStatus' } });
  });
});

describe('SIP2 request timeout', () => {
  it('gives a request sent after earlier answered ones its whole timeout, counted from its own sending', async () => {
    const timeout = 5000;
    const clock = new ManualClock();
    // The login and the status (99) are answered; the renewal (never re-sent by itself) is not.
    server = await ScriptedServer.start(withDefaults());
    const client = await connected({ requestTimeoutMs: timeout }, { clock });
    await clock.advance(3000);
    let outcome: unknown;
    const lookup = client.renew('P1', 'I1').then(
      () => 'answered',
      (error: unknown) => error,
    );
    void lookup.then((settled) => {
      outcome = settled;
    });
    await server.waitFor((r) => r.message.type === 'renew');
    // Past the deadline the login and status had: still waiting for its own.
    await clock.advance(timeout - 1);
    expect(outcome).toBeUndefined();
    await clock.advance(1);
    expect(await lookup).toMatchObject({ code: 'ils_timeout' });
  });
});
