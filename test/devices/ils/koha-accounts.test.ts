import { once } from 'node:events';
import { createServer as createHttpServer, request as httpForward } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock, systemClock } from '../../../src/core/clock.js';
import { IlsAccountError } from '../../../src/devices/ils/accounts.js';
import { KohaRestAccounts } from '../../../src/devices/ils/koha-accounts.js';
import { kohaRestAccountsSchema } from '../../../src/devices/ils/koha-accounts-config.js';
import { freePort } from '../../helpers/free-port.js';
import { SAMPLE_FIXTURE } from '../../simulators/ils/paths.js';
import { Sip2TestClient } from '../../simulators/ils/sip2-client.js';

const IN_CREDIT = '21000010'; // 20.00 in credit in the sample library
const OWES = '21000003'; // owes 12.50, no credit

let simulator: IlsSimulator;

beforeEach(async () => {
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
});

afterEach(async () => {
  await simulator.close();
});

function koha(overrides: Record<string, unknown> = {}) {
  return new KohaRestAccounts(
    kohaRestAccountsSchema.parse({
      kind: 'koha-rest',
      url: simulator.controlUrl,
      clientId: 'carrel-desk',
      clientSecret: 'carrel-desk-secret',
      timeoutMs: 2000,
      ...overrides,
    }),
    { exponent: 2, clock: systemClock },
  );
}

async function failure(promise: Promise<unknown>): Promise<IlsAccountError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IlsAccountError) return error;
    throw error;
  }
  throw new Error('expected an IlsAccountError');
}

async function sip2FeeAmount(patron: string, pin: string): Promise<string | undefined> {
  const client = await Sip2TestClient.connect(simulator.port, { timeZone: 'Europe/Stockholm' });
  try {
    await client.login('kiosk1', 'kiosk1pw');
    const info = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: new Date(),
        summary: null,
        institutionId: 'RIVERSIDE',
        patronIdentifier: patron,
        patronPassword: pin,
      },
      'patronInformationResponse',
    );
    return info.feeAmount;
  } finally {
    client.close();
  }
}

async function restBalance(patronId: string): Promise<number> {
  const auth = `Basic ${Buffer.from('kiosk1:kiosk1pw').toString('base64')}`;
  const response = await fetch(`${simulator.controlUrl}/api/v1/patrons/${patronId}/account`, {
    headers: { authorization: auth },
  });
  return ((await response.json()) as { balance: number }).balance;
}

describe('Koha REST accounts against the simulator', () => {
  it('finds the patron, reads the credit, adds a debit naming the request and finds it again', async () => {
    const accounts = koha();
    const patron = await accounts.findPatron(IN_CREDIT);
    expect(await accounts.creditAvailable(patron)).toBe(2000);
    expect(await accounts.findDebit(patron, 'transfer-0001')).toBeUndefined();
    const debit = await accounts.addDebit(patron, { amountMinor: 750, requestId: 'transfer-0001' });
    expect(debit).toMatchObject({ amountMinor: 750 });
    expect(debit.description).toContain('transfer-0001');
    expect(await accounts.findDebit(patron, 'transfer-0001')).toEqual(debit);
    expect(await accounts.findDebit(patron, 'transfer-0002')).toBeUndefined();
    expect(await accounts.creditAvailable(patron)).toBe(1250);
    // One account behind both: REST's signed balance says 12.50 in credit; SIP2's BV, as Koha sends
    // it, is what is owed, nothing (Koha: balance > 0 ? charges : 0).
    expect(await restBalance(patron.id)).toBe(-12.5);
    expect(await sip2FeeAmount(IN_CREDIT, '1010')).toBe('0.00');
    // A debit past the credit (Koha takes it): both now say 2.50 owed.
    await accounts.addDebit(patron, { amountMinor: 1500, requestId: 'transfer-0003' });
    expect(await restBalance(patron.id)).toBe(2.5);
    expect(await sip2FeeAmount(IN_CREDIT, '1010')).toBe('2.50');
    expect(await accounts.creditAvailable(patron)).toBe(0);
  });

  it('a patron who owes has no credit to transfer', async () => {
    const accounts = koha();
    expect(await accounts.creditAvailable(await accounts.findPatron(OWES))).toBe(0);
  });

  it('authenticates with basic auth too; a wrong secret or password is refused', async () => {
    const basic = koha({
      clientId: undefined,
      clientSecret: undefined,
      user: 'kiosk1',
      password: 'kiosk1pw',
    });
    expect((await basic.findPatron(IN_CREDIT)).id).toMatch(/^\d+$/);
    const wrongSecret = await failure(koha({ clientSecret: 'nope' }).findPatron(IN_CREDIT));
    expect(wrongSecret.code).toBe('ils_account_refused');
    expect(wrongSecret.message).not.toContain('nope');
    const wrongPassword = koha({
      clientId: undefined,
      clientSecret: undefined,
      user: 'kiosk1',
      password: 'nope',
    });
    expect((await failure(wrongPassword.findPatron(IN_CREDIT))).code).toBe('ils_account_refused');
  });

  it('an unknown card is ils_patron_not_found, without the card number in the message', async () => {
    const error = await failure(koha().findPatron('29999999'));
    expect(error.code).toBe('ils_patron_not_found');
    expect(error.message).not.toContain('29999999');
  });

  it('an ILS that cannot be reached, is slow, or refuses gives a typed error', async () => {
    const accounts = koha({ timeoutMs: 300 });
    const patron = await accounts.findPatron(IN_CREDIT);

    simulator.setFaults({ rest: { unreachable: true } });
    expect((await failure(accounts.creditAvailable(patron))).code).toBe('ils_account_unreachable');
    const dropped = await failure(
      accounts.addDebit(patron, { amountMinor: 100, requestId: 'transfer-down' }),
    );
    expect(dropped).toMatchObject({ code: 'ils_account_unreachable', outcomeUnknown: true });

    simulator.setFaults({ rest: { latencyMs: 1500 } });
    const slow = await failure(accounts.creditAvailable(patron));
    expect(slow.code).toBe('ils_account_unreachable');
    expect(slow.message).toContain('300 ms');

    simulator.setFaults({ rest: { refuse: 503 } });
    const refused = await failure(accounts.addDebit(patron, { amountMinor: 100, requestId: 'transfer-503' }));
    expect(refused).toMatchObject({ code: 'ils_account_refused', outcomeUnknown: true });
    expect((await failure(accounts.creditAvailable(patron))).code).toBe('ils_account_refused');

    simulator.setFaults({});
    expect(await accounts.creditAvailable(patron)).toBe(2000);
  });

  it('nothing listening: unreachable, and a debit that was never sent is known not to have happened', async () => {
    const port = await freePort();
    const accounts = new KohaRestAccounts(
      kohaRestAccountsSchema.parse({
        kind: 'koha-rest',
        url: `http://127.0.0.1:${port}`,
        user: 'u',
        password: 'p',
      }),
      { exponent: 2, clock: systemClock },
    );
    const error = await failure(
      accounts.addDebit({ id: '1' }, { amountMinor: 100, requestId: 'transfer-none' }),
    );
    expect(error).toMatchObject({ code: 'ils_account_unreachable', outcomeUnknown: false });
  });

  it('a debit whose answer is lost was made, and findDebit finds it', async () => {
    const accounts = koha();
    const patron = await accounts.findPatron(IN_CREDIT);
    simulator.setFaults({ rest: { loseDebitAnswers: 1 } });
    const lost = await failure(accounts.addDebit(patron, { amountMinor: 300, requestId: 'transfer-lost' }));
    expect(lost).toMatchObject({ code: 'ils_account_unreachable', outcomeUnknown: true });
    expect(simulator.faults().rest?.loseDebitAnswers).toBeUndefined();
    expect(await accounts.findDebit(patron, 'transfer-lost')).toMatchObject({ amountMinor: 300 });
    expect(await accounts.creditAvailable(patron)).toBe(1700);
  });

  it('config: one way to authenticate, https off loopback, no credentials in the URL', () => {
    const base = { kind: 'koha-rest', url: 'https://koha.example.org' };
    expect(kohaRestAccountsSchema.safeParse({ ...base, clientId: 'a', clientSecret: 'b' }).success).toBe(
      true,
    );
    expect(kohaRestAccountsSchema.safeParse({ ...base, user: 'a', password: 'b' }).success).toBe(true);
    expect(kohaRestAccountsSchema.safeParse(base).success).toBe(false);
    expect(
      kohaRestAccountsSchema.safeParse({
        ...base,
        clientId: 'a',
        clientSecret: 'b',
        user: 'a',
        password: 'b',
      }).success,
    ).toBe(false);
    expect(kohaRestAccountsSchema.safeParse({ ...base, clientId: 'a' }).success).toBe(false);
    expect(
      kohaRestAccountsSchema.safeParse({ ...base, url: 'http://koha.example.org', user: 'a', password: 'b' })
        .success,
    ).toBe(false);
    expect(
      kohaRestAccountsSchema.safeParse({
        ...base,
        url: 'https://a:b@koha.example.org',
        user: 'a',
        password: 'b',
      }).success,
    ).toBe(false);
  });
});

describe('the OAuth2 token, on the desk’s clock', () => {
  /** The simulator's Koha API behind a proxy that counts the tokens asked for. */
  async function countingKoha() {
    const target = new URL(simulator.controlUrl!);
    let tokens = 0;
    const server = createHttpServer((request, response) => {
      if (request.url === '/api/v1/oauth/token') tokens++;
      const forwarded = httpForward(
        {
          host: target.hostname,
          port: target.port,
          path: request.url,
          method: request.method,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(forwarded);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      tokens: () => tokens,
    };
  }

  it('is asked for again once the desk’s clock passes its expiry (a minute early), not before', async () => {
    const koha = await countingKoha();
    const clock = new ManualClock(Date.now());
    const accounts = new KohaRestAccounts(
      kohaRestAccountsSchema.parse({
        kind: 'koha-rest',
        url: koha.url,
        clientId: 'carrel-desk',
        clientSecret: 'carrel-desk-secret',
        timeoutMs: 2000,
      }),
      { exponent: 2, clock },
    );
    try {
      await accounts.findPatron(IN_CREDIT);
      expect(koha.tokens()).toBe(1);
      // The simulator's token lives an hour (expires_in 3600); it is kept until a minute before.
      await clock.advance(59 * 60_000 - 1);
      await accounts.findPatron(IN_CREDIT);
      expect(koha.tokens()).toBe(1);
      await clock.advance(1);
      await accounts.findPatron(IN_CREDIT);
      expect(koha.tokens()).toBe(2);
      // Its life is a duration: the wall clock stepped back an hour (NTP) does not keep it longer.
      clock.stepWallClock(-3_600_000);
      await clock.advance(59 * 60_000);
      await accounts.findPatron(IN_CREDIT);
      expect(koha.tokens()).toBe(3);
    } finally {
      koha.server.close();
    }
  });
});

describe('a Koha that closes every connection before it answers', () => {
  /** A Koha that is only `onConnection` on a raw socket, and the desk's accounts at it. */
  async function rawKoha(onConnection: (socket: Socket) => void, auth: 'basic' | 'oauth2' = 'basic') {
    const server = createServer(onConnection);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const accounts = new KohaRestAccounts(
      kohaRestAccountsSchema.parse({
        kind: 'koha-rest',
        url,
        ...(auth === 'basic'
          ? { user: 'kiosk1', password: 'kiosk1pw' }
          : { clientId: 'carrel-desk', clientSecret: 'carrel-desk-secret' }),
        timeoutMs: 8000,
      }),
      { exponent: 2, clock: systemClock },
    );
    return { server, url, accounts };
  }

  for (const auth of ['basic', 'oauth2'] as const) {
    it(`is reported at once, in words, not at the timeout (${auth})`, async () => {
      // Each connection closed at once, before a request has been read.
      const { server, url, accounts } = await rawKoha((socket) => socket.destroy(), auth);
      try {
        const started = performance.now();
        const reading = await failure(accounts.creditAvailable({ id: '7' }));
        const debiting = await failure(
          accounts.addDebit({ id: '7' }, { amountMinor: 100, requestId: 'x-1' }),
        );
        const step = auth === 'basic' ? 'reading the account' : 'the OAuth2 token';
        expect({ reading, debiting, fast: performance.now() - started < 4000 }).toMatchObject({
          reading: {
            code: 'ils_account_unreachable',
            message: `the ILS at ${new URL(url).host}: ${step}: Koha closed the connection without answering`,
          },
          // The debit may have reached Koha before it closed (no token asked first: it did not).
          debiting: {
            code: 'ils_account_unreachable',
            outcomeUnknown: auth === 'basic',
            message: expect.stringContaining('Koha closed the connection without answering'),
          },
          fast: true,
        });
      } finally {
        server.close();
      }
    });
  }

  it('an answer cut short when Koha closes the connection is reported at once, in words', async () => {
    // Headers and part of the body, then the connection closed.
    const { server, accounts } = await rawKoha((socket) => {
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{"balance":',
        );
      });
    });
    try {
      const started = performance.now();
      const cut = await failure(accounts.addDebit({ id: '7' }, { amountMinor: 100, requestId: 'x-2' }));
      expect({ cut, fast: performance.now() - started < 4000 }).toMatchObject({
        cut: {
          code: 'ils_account_unreachable',
          outcomeUnknown: true,
          message: expect.stringContaining(
            'adding the debit: Koha closed the connection before its answer ended',
          ),
        },
        fast: true,
      });
    } finally {
      server.close();
    }
  });

  it('an answer that does not end (a misconfigured URL streaming something else) is refused past 4 MiB, in words', async () => {
    // Headers, then body without end: what a wrong URL (a file, a stream) could send.
    const { server, accounts } = await rawKoha((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[');
        const chunk = Buffer.alloc(64 * 1024, 0x30);
        const more = () => {
          while (!socket.destroyed && socket.write(chunk));
        };
        socket.on('drain', more);
        socket.on('error', () => {});
        more();
      });
    });
    try {
      const started = performance.now();
      const refused = await failure(accounts.addDebit({ id: '7' }, { amountMinor: 100, requestId: 'x-3' }));
      expect({ refused, fast: performance.now() - started < 4000 }).toMatchObject({
        refused: {
          code: 'ils_account_unreachable',
          // The debit was sent: whether Koha made it is not known.
          outcomeUnknown: true,
          message: expect.stringContaining('Koha answered with more than 4 MiB'),
        },
        fast: true,
      });
    } finally {
      server.close();
    }
  });
});
