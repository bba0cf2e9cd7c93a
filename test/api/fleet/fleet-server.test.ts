import { get } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetServer } from '../../../src/api/fleet/fleet-server.js';
import { silentLogger } from '../../../src/core/logger.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';

const skip = mosquittoSkipReason();
const TOKEN = 'fleet-token-0123456789abcdef';

/** Reads server-sent `data:` frames from a fetch response, one JSON value each. */
function frames(body: ReadableStream<Uint8Array>) {
  const seen: unknown[] = [];
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  })();
  return { seen, close: () => reader.cancel().catch(() => {}) };
}

describe('the fleet view refuses to serve beyond this machine without a token', () => {
  it('on 0.0.0.0 or a LAN address, and tells how', () => {
    for (const host of ['0.0.0.0', '10.0.0.5', '::'])
      expect(
        () =>
          new FleetServer({ broker: { url: 'mqtt://127.0.0.1:1' }, host, port: 0, logger: silentLogger() }),
      ).toThrow(/--token or CARREL_FLEET_TOKEN/);
  });
});

describe.skipIf(skip !== undefined)('the fleet server, on Mosquitto', () => {
  let broker: MosquittoBroker;
  let server: FleetServer;
  let base: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    server = new FleetServer({
      broker: { url: broker.url },
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      logger: silentLogger(),
    });
    await server.start();
    base = server.url!.replace(/\/fleet$/, '');
  });

  afterAll(async () => {
    await server?.stop();
    await broker?.stop();
  });

  const auth = { authorization: `Bearer ${TOKEN}` };

  it('serves the page with the strict CSP of Carrel’s pages, and its data only with the token', async () => {
    const page = await fetch(`${base}/fleet`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
    expect((await fetch(`${base}/fleet/api/desks`)).status).toBe(401);
    expect((await fetch(`${base}/fleet/api/stream`)).status).toBe(401);
    const desks = await fetch(`${base}/fleet/api/desks`, { headers: auth });
    expect(await desks.json()).toMatchObject({ broker: { connected: true }, totals: { desks: 0 } });
  });

  it('answers a path it does not serve, or a URL it cannot read, with a problem document as the desk does', async () => {
    // Not the path: it may carry a patron barcode or a token (a desk's URL pasted on the wrong host).
    for (const path of [
      '/fleet/api/desks/21000001',
      '/api/v1/patron/21000001/loans',
      '/fleet/login/tok-9f8e7d6c5b4a?pin=1234',
    ]) {
      const missing = await fetch(`${base}${path}`, { headers: auth });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await missing.text();
      const problem = JSON.parse(text) as { detail: string };
      expect(problem).toMatchObject({ type: expect.stringMatching(/not_found$/), status: 404 });
      // In words: the method no route answers, and where the fleet view's routes are.
      expect(problem.detail).toMatch(/no route/);
      expect(problem.detail).toContain('GET');
      expect(problem.detail).toContain('/fleet/api/desks');
      for (const secret of ['21000001', 'tok-9f8e7d6c5b4a', '1234', 'patron', 'login'])
        expect(text).not.toContain(secret);
    }
    const unreadable = await new Promise<{ status: number; type: string; body: string }>(
      (resolve, reject) => {
        const { port } = new URL(base);
        get({ host: '127.0.0.1', port, path: '/fleet/api/%zz', headers: auth }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
          );
        }).on('error', reject);
      },
    );
    expect(unreadable.status).toBe(400);
    expect(unreadable.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(unreadable.body)).toMatchObject({
      status: 400,
      detail: expect.stringContaining('percent-encoded'),
    });
  });

  it('without a token serves this machine only: a rebinding page (foreign Host) is refused', async () => {
    const open = new FleetServer({
      broker: { url: broker.url },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger(),
    });
    await open.start();
    try {
      const { port } = new URL(open.url!);
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          get({ host: '127.0.0.1', port, path: '/fleet/api/desks', headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      expect(await status('evil.example')).toBe(403);
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('serves the fleet page the stylesheet Carrel’s pages share, before its own', async () => {
    const html = await (await fetch(`${base}/fleet`)).text();
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]!);
    expect(sheets).toEqual(['/common/page.css', '/fleet/fleet.css']);
    for (const sheet of sheets) {
      const file = await fetch(`${base}${sheet}`);
      expect({ sheet, status: file.status, type: file.headers.get('content-type') }).toEqual({
        sheet,
        status: 200,
        type: 'text/css; charset=utf-8',
      });
    }
  });

  it('streams the fleet as it changes, and shrugs off what is not a desk’s state', async () => {
    const response = await fetch(`${base}/fleet/api/stream`, { headers: auth });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = frames(response.body!);
    await expect.poll(() => stream.seen.length).toBeGreaterThan(0);
    const desk = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await desk.publishAsync('carrel/main/desk-9/state', 'garbage{', { qos: 1, retain: true });
    await desk.publishAsync('carrel/main/desk-9/state', JSON.stringify({ status: 'online', since: 'now' }), {
      qos: 1,
      retain: true,
    });
    await expect
      .poll(() => (stream.seen.at(-1) as { desks: Array<{ status: string }> }).desks, { timeout: 5000 })
      .toEqual([expect.objectContaining({ site: 'main', gateway: 'desk-9', status: 'online' })]);
    await desk.publishAsync('carrel/main/desk-9/state', JSON.stringify({ status: 'offline' }), {
      qos: 1,
      retain: true,
    });
    await expect
      .poll(() => (stream.seen.at(-1) as { desks: Array<{ status: string }> }).desks[0]?.status, {
        timeout: 5000,
      })
      .toBe('offline');
    expect((stream.seen.at(-1) as { ignored: number }).ignored).toBe(1);
    await desk.endAsync();
    await stream.close();
  });

  it('keeps the fleet as last known while the broker is away, and builds it anew once back', async () => {
    const stream = frames((await fetch(`${base}/fleet/api/stream`, { headers: auth })).body!);
    type Frame = { desks: Array<{ gateway: string }>; broker: { connected: boolean } };
    const last = () => stream.seen.at(-1) as Frame | undefined;
    await expect.poll(() => last()?.desks.map((d) => d.gateway)).toEqual(['desk-9']);
    const port = broker.port;
    await broker.stop();
    await expect.poll(() => last()?.broker.connected, { timeout: 5000 }).toBe(false);
    expect(last()?.desks.map((d) => d.gateway)).toEqual(['desk-9']);
    // Back empty (no persistence): desk-9 is gone from the broker, another desk publishes.
    broker = await startMosquitto({ port });
    const desk = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await desk.publishAsync('carrel/main/desk-7/state', JSON.stringify({ status: 'online', since: 'now' }), {
      qos: 1,
      retain: true,
    });
    await desk.endAsync();
    await expect
      .poll(() => (last()?.broker.connected ? last()?.desks.map((d) => d.gateway) : undefined), {
        timeout: 10_000,
      })
      .toEqual(['desk-7']);
    await stream.close();
  });
});
