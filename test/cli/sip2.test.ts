/**
 * `carrel sip2`, run in-process against the ILS simulator over real TCP, with
 * its stdout and stderr captured.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { createSip2Command, sip2Command } from '../../src/cli/commands/sip2.js';

let simulator: IlsSimulator;

beforeAll(async () => {
  simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
});
afterAll(async () => {
  await simulator.close();
});

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
  const streams = capture();
  const code = await createSip2Command(streams.io).run([
    '--host',
    '127.0.0.1',
    '--port',
    String(simulator.port),
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
