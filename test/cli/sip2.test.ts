/**
 * `carrel sip2`, run in-process against the ILS simulator over real TCP, with
 * its stdout and stderr captured.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { createSip2Command, sip2Command } from '../../src/cli/commands/sip2.js';
import { Sip2Framer } from '../../src/protocols/sip2/index.js';

let simulator: IlsSimulator;
let tap: SipTap;

beforeAll(async () => {
  simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
  tap = await SipTap.start(simulator.port);
});
afterAll(async () => {
  await tap.close();
  await simulator.close();
});

/**
 * A TCP hop between the console and the simulator that notes the message code
 * of every frame the console sends: what reached the ILS, counted on the wire.
 */
class SipTap {
  /** Codes sent to the ILS, one list per connection, in order. */
  readonly sent: string[][] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<SipTap> {
    let tap: SipTap | undefined;
    const server = createServer((terminal) => tap!.accept(terminal, upstreamPort));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    tap = new SipTap(server, typeof address === 'object' && address ? address.port : 0);
    return tap;
  }

  private accept(terminal: Socket, upstreamPort: number): void {
    const codes: string[] = [];
    this.sent.push(codes);
    const framer = new Sip2Framer();
    const ils = connect({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [terminal, ils]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
    }
    terminal.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.type === 'frame') codes.push(Buffer.from(event.frame).subarray(0, 2).toString('latin1'));
      }
    });
    terminal.pipe(ils);
    ils.pipe(terminal);
  }

  /** Every code sent since the last reset, connections one after the other. */
  codes(): string[] {
    return this.sent.flat();
  }

  reset(): void {
    this.sent.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  return { io: { stdout, stderr, env: {} }, out: () => out, err: () => err };
}

async function sip2(...argv: string[]) {
  return sip2Through(simulator.port, ...argv);
}

/** `carrel sip2` as kiosk1 (unless argv says otherwise: the last --user and --password win) to `port`. */
async function sip2Through(port: number, ...argv: string[]) {
  const streams = capture();
  const code = await createSip2Command(streams.io).run([
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--user',
    'kiosk1',
    '--password',
    'kiosk1pw',
    '--location',
    'MAIN',
    '--institution',
    'RIVERSIDE',
    '--error-detection',
    ...argv,
  ]);
  const text = streams.out();
  return { code, json: text ? JSON.parse(text) : undefined, stderr: streams.err() };
}

describe('carrel sip2', () => {
  it('status prints the ACS status as JSON', async () => {
    const { code, json } = await sip2('status');
    expect(code).toBe(0);
    expect(json).toMatchObject({
      command: 'status',
      message: { type: 'acsStatus', onlineStatus: true },
      checksum: 'valid',
    });
  });

  it('patron-info with --summary charged and --wire: the answer on stdout, masked frames on stderr', async () => {
    const { code, json, stderr } = await sip2(
      'patron-info',
      '21000001',
      '--pin',
      '1234',
      '--summary',
      'charged',
      '--wire',
    );
    expect(code).toBe(0);
    expect(json.message).toMatchObject({
      type: 'patronInformationResponse',
      personalName: 'Zoë Åström',
      validPatron: true,
      validPatronPassword: true,
      chargedItems: expect.arrayContaining(['31000001']),
    });
    expect(stderr).toMatch(/^> 63/m);
    expect(stderr).toMatch(/^< 64/m);
    expect(stderr).toContain('AA***|');
    for (const secret of ['1234', 'kiosk1pw', '21000001', 'Zoë']) expect(stderr).not.toContain(secret);
  });

  it('checkout and checkin take the ids as arguments', async () => {
    const checkout = await sip2('checkout', '21000009', '31000005', '--pin', '9999');
    expect(checkout.code).toBe(0);
    expect(checkout.json).toMatchObject({
      command: 'checkout',
      message: { type: 'checkoutResponse', ok: true, itemIdentifier: '31000005' },
      verifiedAfterLostAnswer: false,
    });
    const item = await sip2('item-info', '31000005');
    expect(item.json.message.circulationStatus.name).toBe('charged');
    const checkin = await sip2('checkin', '31000005');
    expect(checkin.json).toMatchObject({ message: { type: 'checkinResponse', ok: true } });
  });

  it('raw sends a frame typed by hand', async () => {
    const { code, json } = await sip2('raw', '9300CNkiosk1|COkiosk1pw|CPMAIN|');
    expect(code).toBe(0);
    expect(json.message).toMatchObject({ type: 'loginResponse', ok: true });
  });

  it('prints the error as JSON and exits 1 when the ILS cannot be reached', async () => {
    const streams = capture();
    const code = await createSip2Command(streams.io).run(['--host', '127.0.0.1', '--port', '1', 'status']);
    expect(code).toBe(1);
    expect(JSON.parse(streams.out())).toMatchObject({ command: 'status', error: { code: 'econnrefused' } });
  });

  it('refuses bad usage with a usage error', async () => {
    await expect(sip2('fly')).rejects.toMatchObject({ code: 'usage' });
    await expect(sip2('checkout', 'only-a-patron')).rejects.toMatchObject({ code: 'usage' });
    await expect(sip2('patron-info', 'P', '--summary', 'everything')).rejects.toMatchObject({
      code: 'usage',
    });
  });

  it('sip2Command writes to the process stdout', async () => {
    let written = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    try {
      const code = await sip2Command.run([
        '--host',
        '127.0.0.1',
        '--port',
        String(simulator.port),
        '--user',
        'sorter',
        '--password',
        'sorterpw',
        '--charset',
        'ascii',
        'item-info',
        '31000001',
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(written).message).toMatchObject({
      type: 'itemInformationResponse',
      itemIdentifier: '31000001',
    });
  });
});

describe('carrel sip2 login and status send what they say, once', () => {
  beforeEach(() => tap.reset());

  it('status sends one 99, after the one 93 login', async () => {
    const { code, json } = await sip2Through(tap.port, 'status');
    expect(code).toBe(0);
    expect(json.message).toMatchObject({ type: 'acsStatus', onlineStatus: true });
    expect(tap.codes()).toEqual(['93', '99']);
  });

  it('status without a user sends the one 99 alone', async () => {
    const streams = capture();
    const code = await createSip2Command(streams.io).run([
      '--host',
      '127.0.0.1',
      '--port',
      String(tap.port),
      'status',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(streams.out()).message.type).toBe('acsStatus');
    expect(tap.codes()).toEqual(['99']);
  });

  it('login sends one 93 and nothing else; --wire shows it once, masked', async () => {
    const { code, json, stderr } = await sip2Through(tap.port, 'login', '--wire');
    expect(code).toBe(0);
    expect(json).toMatchObject({ command: 'login', message: { type: 'loginResponse', ok: true } });
    expect(tap.codes()).toEqual(['93']);
    expect(stderr.match(/^> /gm)).toHaveLength(1);
    expect(stderr).toMatch(/^> 93/m);
    expect(stderr).not.toContain('kiosk1pw');
  });

  it('login refused: the 94 with ok 0 is printed and the console exits 1', async () => {
    const { code, json } = await sip2Through(tap.port, '--password', 'wrong', 'login');
    expect(code).toBe(1);
    expect(json).toMatchObject({ command: 'login', message: { type: 'loginResponse', ok: false } });
    expect(tap.codes()).toEqual(['93']);
  });

  it('with --per-transaction: log in, the one 99, end the session', async () => {
    const { code } = await sip2Through(tap.port, 'status', '--per-transaction');
    expect(code).toBe(0);
    expect(tap.codes()).toEqual(['93', '99', '35']);
  });

  it('other commands still go through the pooled client', async () => {
    const { code } = await sip2Through(tap.port, 'item-info', '31000001');
    expect(code).toBe(0);
    expect(tap.codes()).toEqual(['93', '99', '17']);
  });
});
