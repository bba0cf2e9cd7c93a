import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildHttpApi, type HttpApi, httpFeature } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeServices, onlinePrinter } from './fake-services.js';

const TOKENS = [
  { name: 'kiosk-1', token: 'kiosk-token-0123456789', scopes: ['kiosk' as const] },
  { name: 'monitoring', token: 'monitor-token-0123456789', scopes: ['monitor' as const] },
  { name: 'it', token: 'admin-token-0123456789', scopes: ['admin' as const] },
];

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

async function build(tokens = TOKENS, services = fakeServices()) {
  api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: services.services,
    logger: silentLogger(),
    tokens,
    version: '0.0.0-test',
  });
  return { api, ...services };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** The desk's time zone, as the caller's answer says it: the process's own. */
const DESK_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

describe('HTTP API', () => {
  it('lists devices and one device, with problem+json for an unknown one', async () => {
    const { api } = await build([]);
    const list = await api.app.inject({ url: '/api/v1/devices' });
    expect(list.statusCode).toBe(200);
    expect(list.json().devices).toHaveLength(1);
    const one = await api.app.inject({ url: '/api/v1/devices/receipt-1' });
    expect(one.json()).toMatchObject({ device: 'receipt-1', status: 'online' });
    const missing = await api.app.inject({ url: '/api/v1/devices/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json()).toMatchObject({ type: 'urn:carrel:problem:device_not_found', status: 404 });
    const badId = await api.app.inject({ url: '/api/v1/devices/BAD%20ID' });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].path).toBe('path.id');
  });

  it('enforces bearer tokens and scopes when tokens are configured', async () => {
    const { api } = await build();
    expect((await api.app.inject({ url: '/api/v1/devices' })).statusCode).toBe(401);
    const wrong = await api.app.inject({ url: '/api/v1/devices', headers: bearer('not-a-token-at-all') });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('Bearer');
    expect(
      (await api.app.inject({ url: '/api/v1/devices', headers: bearer(TOKENS[1]!.token) })).statusCode,
    ).toBe(200);
    // a monitor token may look but not print
    const print = await api.app.inject({
      method: 'POST',
      url: '/api/v1/printers/receipt-1/receipts',
      headers: bearer(TOKENS[1]!.token),
      payload: { template: 'test-page', data: {} },
    });
    expect(print.statusCode).toBe(403);
    expect(print.json().code).toBe('forbidden');
    // metrics need monitor (or admin); kiosks may not scrape
    expect((await api.app.inject({ url: '/metrics', headers: bearer(TOKENS[0]!.token) })).statusCode).toBe(
      403,
    );
    expect((await api.app.inject({ url: '/metrics', headers: bearer(TOKENS[2]!.token) })).statusCode).toBe(
      200,
    );
    // liveness and readiness stay public
    expect((await api.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await api.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('queues a receipt with 202 and a Location, validates the body, and maps gateway errors', async () => {
    const { api, submitted } = await build([]);
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/v1/printers/receipt-1/receipts',
      payload: { template: 'checkout', data: { patron: { name: 'Zoë' } } },
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.headers.location).toBe(`/api/v1/printers/receipt-1/jobs/${ok.json().id}`);
    expect(submitted).toEqual([
      { printer: 'receipt-1', template: 'checkout', data: { patron: { name: 'Zoë' } } },
    ]);
    const job = await api.app.inject({ url: ok.headers.location as string });
    expect(job.json()).toMatchObject({ state: 'queued', template: 'checkout' });

    const noTemplate = await api.app.inject({
      method: 'POST',
      url: '/api/v1/printers/receipt-1/receipts',
      payload: {},
    });
    expect(noTemplate.statusCode).toBe(400);
    expect(noTemplate.json().errors).toEqual([{ path: 'body.template', message: expect.any(String) }]);

    const badJson = await api.app.inject({
      method: 'POST',
      url: '/api/v1/printers/receipt-1/receipts',
      headers: { 'content-type': 'application/json' },
      payload: '{"template":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.headers['content-type']).toContain('application/problem+json');

    const unknownTemplate = await api.app.inject({
      method: 'POST',
      url: '/api/v1/printers/receipt-1/receipts',
      payload: { template: 'nope' },
    });
    expect(unknownTemplate.statusCode).toBe(422);
    expect(unknownTemplate.json().code).toBe('template_unknown');
  });

  it('answers /readyz 503 with the failing checks when not ready', async () => {
    const services = fakeServices();
    const { api } = await build([], services);
    services.setReady(false);
    const response = await api.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      ready: false,
      checks: [{ name: 'gateway', ok: false, detail: 'starting' }],
    });
  });

  it('serves an OpenAPI document generated from the route schemas, and the docs page', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const print = doc.paths['/api/v1/printers/{id}/receipts'].post;
    expect(print.requestBody.content['application/json'].schema.required).toContain('template');
    expect(Object.keys(print.responses)).toEqual(
      expect.arrayContaining(['202', '400', '401', '403', '404', '503']),
    );
    expect(doc.paths['/api/v1/devices/{id}'].get.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
    });
    // Not ready is answered with the readiness report itself (above), and documented so: a client
    // made from the document reads a 503 as the report, not as a problem.
    const readiness = doc.paths['/readyz'].get.responses;
    expect(Object.keys(readiness['503'].content)).toEqual(['application/json']);
    expect(readiness['503'].content).toEqual(readiness['200'].content);
    const page = await api.app.inject({ url: '/docs' });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/docs/openapi.json');
  });

  it('asks a card photo or preview for its token before reading the body, and never repeats a PIN sent as a key', async () => {
    const { api } = await build();
    for (const url of ['/api/v1/cards/photos', '/api/v1/cards/preview']) {
      const anonymous = await api.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: '{"pin": 1234',
      });
      expect({ url, status: anonymous.statusCode }).toEqual({ url, status: 401 });
      const kiosk = await api.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...bearer(TOKENS[0]!.token) },
        payload: '{"pin": 1234',
      });
      expect({ url, status: kiosk.statusCode }).toEqual({ url, status: 403 });
    }
    const preview = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cards/preview',
      headers: bearer(TOKENS[2]!.token),
      payload: { patron: '21000001', '7319-secret': 1, pin: '7319-secret' },
    });
    expect(preview.statusCode).toBe(400);
    expect(preview.json()).toMatchObject({ code: 'card_request_invalid' });
    expect(preview.body).not.toContain('7319-secret');
    // The field names are said, the key that is none is counted.
    expect(preview.json().detail).toBe('Unrecognized keys: "pin" and 1 key not shown');
  });

  it('documents every /api/ route it answers in the OpenAPI document, those answering other than JSON too', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    // The WebSockets (the event streams) are there too, as the GET of their handshake.
    const routes = api.routes.filter((route) => route.url.startsWith('/api/') && route.method !== 'HEAD');
    expect(routes.filter((route) => route.websocket).map((route) => route.url)).toContain('/api/v1/events');
    const missing = routes
      .map((route) => `${route.method} ${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
    expect(routes.length).toBeGreaterThan(documented.size / 2);
  });

  it('documents each WebSocket as its handshake: the upgrade, its query and token, the 101, its messages and closes', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    const sockets = api.routes.filter((route) => route.websocket && route.method === 'GET');
    expect(sockets.map((route) => route.url)).toEqual(
      expect.arrayContaining([
        '/api/v1/events',
        '/api/v1/sessions/:id/events',
        '/api/v1/payments/:id/events',
      ]),
    );
    for (const { url } of sockets) {
      const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const get = doc.paths[path]?.get;
      expect(get, path).toBeDefined();
      const parameters = get.parameters as Array<{
        name: string;
        in: string;
        required?: boolean;
        schema?: unknown;
      }>;
      const named = (name: string, where: string) =>
        parameters.find((p) => p.name === name && p.in === where);
      expect(named('Upgrade', 'header'), path).toMatchObject({
        required: true,
        schema: { const: 'websocket' },
      });
      expect(named('Sec-WebSocket-Key', 'header'), path).toMatchObject({ required: true });
      expect(named('Sec-WebSocket-Version', 'header'), path).toMatchObject({ schema: { const: '13' } });
      expect(named('access_token', 'query'), path).toMatchObject({ required: false });
      for (const [, name] of url.matchAll(/:([A-Za-z0-9_]+)/g))
        expect(named(name!, 'path'), path).toMatchObject({ required: true });
      expect(Object.keys(get.responses), path).toEqual(expect.arrayContaining(['101', '400', '426']));
      const opened = get.responses['101'];
      expect(opened.headers['Sec-WebSocket-Accept'], path).toBeDefined();
      // What flows on it: each message's JSON Schema, and the close codes and what they mean.
      expect(get['x-carrel-websocket'].messages.schema, path).toBeDefined();
      expect(get['x-carrel-websocket'].closeCodes, path).toBeDefined();
      expect(opened.description, path).toContain('x-carrel-websocket');
      expect(get.security, path).toEqual([{ bearer: [] }]);
      expect(get['x-carrel-scopes'], path).toBeDefined();
    }
    // The device stream names its ?devices= filter, and its messages name the snapshot.
    const events = doc.paths['/api/v1/events'].get;
    expect(events.parameters.find((p: { name: string }) => p.name === 'devices')).toMatchObject({
      in: 'query',
    });
    expect(JSON.stringify(events['x-carrel-websocket'].messages.schema)).toContain('snapshot');
    // A session's feed says it closes 4409 when another screen takes the session over.
    expect(doc.paths['/api/v1/sessions/{id}/events'].get['x-carrel-websocket'].closeCodes).toHaveProperty(
      '4409',
    );
  });

  it('writes an OpenAPI document whose every $ref resolves in the document (a renderer shows the shared schemas)', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) for (const item of node) walk(item);
      else if (node && typeof node === 'object')
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.add(value);
          else walk(value);
        }
    };
    walk(doc.paths);
    walk(doc.components);
    expect(refs.size).toBeGreaterThan(1);
    const unresolved = [...refs].filter((ref) => {
      if (!ref.startsWith('#/')) return true;
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/'))
        node = (node as Record<string, unknown> | undefined)?.[part];
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
    // The device list's items are the device state, with its fields.
    const items =
      doc.paths['/api/v1/devices'].get.responses['200'].content['application/json'].schema.properties.devices
        .items;
    const resolved = items.$ref ? doc.components.schemas[items.$ref.split('/').at(-1)] : items;
    expect(Object.keys(resolved.properties)).toEqual(expect.arrayContaining(['device', 'status', 'detail']));
  });

  it('tells a caller who its token is and what it may do, so a page shows only what it can use', async () => {
    const { api } = await build();
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const monitor = await api.app.inject({ url: '/api/v1/auth/caller', headers: bearer(TOKENS[1]!.token) });
    expect({ status: monitor.statusCode, body: monitor.json() }).toEqual({
      status: 200,
      body: { name: 'monitoring', scopes: ['monitor'], timeZone: DESK_ZONE },
    });
    const admin = await api.app.inject({ url: '/api/v1/auth/caller', headers: bearer(TOKENS[2]!.token) });
    expect(admin.json()).toEqual({ name: 'it', scopes: ['admin'], timeZone: DESK_ZONE });
    expect((await api.app.inject({ url: '/api/v1/auth/caller' })).statusCode).toBe(401);
    expect((await api.app.inject({ url: '/api/v1/auth/caller', headers: bearer('nope') })).statusCode).toBe(
      401,
    );
    // Never the token itself, in any answer.
    expect(monitor.body).not.toContain(TOKENS[1]!.token);
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    expect(doc.paths['/api/v1/auth/caller'].get['x-carrel-scopes']).toEqual(
      expect.arrayContaining(['kiosk', 'staff', 'admin', 'monitor']),
    );
  });

  it('answers the caller on the loopback desk without tokens as the loopback with every scope', async () => {
    const { api } = await build([]);
    expect((await api.app.inject({ url: '/api/v1/auth/caller' })).json()).toEqual({
      name: 'loopback',
      scopes: ['admin', 'staff', 'kiosk', 'monitor'],
      timeZone: DESK_ZONE,
    });
  });

  it('serves the desk pages the stylesheet they share, before their own, under the same CSP', async () => {
    const { api } = await build();
    for (const mount of ['/dashboard', '/gates', '/reports']) {
      const page = await api.app.inject({ url: mount });
      expect(page.statusCode, mount).toBe(200);
      const sheets = [...page.body.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]!);
      expect(sheets[0], mount).toBe('/common/page.css');
      expect(sheets.slice(1), mount).toEqual([`${mount}${mount}.css`]);
      const policy = String(page.headers['content-security-policy']);
      expect(policy).toContain("style-src 'self'");
      for (const sheet of sheets) {
        const file = await api.app.inject({ url: sheet });
        expect({ sheet, status: file.statusCode, type: file.headers['content-type'] }).toEqual({
          sheet,
          status: 200,
          type: 'text/css; charset=utf-8',
        });
        expect(file.headers['content-security-policy'], sheet).toBe(policy);
      }
    }
  });

  it('serves the docs page with Swagger UI from the installed swagger-ui-dist, under a CSP without inline or eval', async () => {
    const { api } = await build();
    const page = await api.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/docs/swagger-ui/swagger-ui-bundle.js');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("connect-src 'self';");
    expect(policy).not.toMatch(/unsafe-|https?:/);
    for (const [asset, type] of [
      ['swagger-ui-bundle.js', 'text/javascript'],
      ['swagger-ui.css', 'text/css'],
    ]) {
      const file = await api.app.inject({ url: `/docs/swagger-ui/${asset}` });
      expect({ asset, status: file.statusCode, type: file.headers['content-type'] }).toEqual({
        asset,
        status: 200,
        type: `${type}; charset=utf-8`,
      });
      expect(file.headers['content-security-policy']).toBe(policy);
    }
    // A browser that has the bundle is not sent its 1.7 MB again.
    const bundle = await api.app.inject({ url: '/docs/swagger-ui/swagger-ui-bundle.js' });
    const etag = String(bundle.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{16,}"$/);
    const again = await api.app.inject({
      url: '/docs/swagger-ui/swagger-ui-bundle.js',
      headers: { 'if-none-match': etag },
    });
    expect({ status: again.statusCode, length: again.rawPayload.length }).toEqual({ status: 304, length: 0 });
    expect(
      (
        await api.app.inject({
          url: '/docs/swagger-ui/swagger-ui-bundle.js',
          headers: { 'if-none-match': '"x"' },
        })
      ).statusCode,
    ).toBe(200);
    // Only the files the page uses: nothing else of the module, no path from the request.
    for (const url of [
      '/docs/swagger-ui/package.json',
      '/docs/swagger-ui/..%2F..%2Fpackage.json',
      '/docs/nope.js',
    ])
      expect({ url, status: (await api.app.inject({ url })).statusCode }).toEqual({ url, status: 404 });
  });

  it('exposes Prometheus metrics for device health and API latency without patron data', async () => {
    const { api } = await build([]);
    await api.app.inject({ url: '/api/v1/devices/receipt-1' });
    const text = (await api.app.inject({ url: '/metrics' })).body;
    expect(text).toContain(
      'carrel_device_status{device="receipt-1",kind="receipt-printer",status="online"} 1',
    );
    expect(text).toContain(
      'carrel_device_status{device="receipt-1",kind="receipt-printer",status="offline"} 0',
    );
    expect(text).toContain('carrel_device_reconnects_total{device="receipt-1"} 0');
    expect(text).toMatch(
      /carrel_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/devices\/:id",status="200"\} 1/,
    );
  });

  it('reports how busy the event loop was since the last scrape', async () => {
    const { api } = await build([]);
    await api.app.inject({ url: '/metrics' });
    // Busy for 30 ms between two scrapes, with no I/O to wait for: the loop never idles.
    const until = performance.now() + 30;
    while (performance.now() < until) {}
    const text = (await api.app.inject({ url: '/metrics' })).body;
    const utilization = Number(/^carrel_event_loop_utilization (\S+)$/m.exec(text)?.[1]);
    expect(utilization).toBeGreaterThan(0.5);
    expect(utilization).toBeLessThanOrEqual(1);
  });

  it('refuses to follow a session or a payment it may not: no token 4401, no kiosk scope 4403, no such one 4404', async () => {
    const { api } = await build();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const closed = (path: string, token?: string) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const socket = new WebSocket(
          `ws://127.0.0.1:${port}${path}`,
          token ? { headers: bearer(token) } : {},
        );
        socket.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
      });
    for (const what of ['session', 'payment']) {
      const path = `/api/v1/${what}s/not-an-id/events`;
      expect(await closed(path), what).toEqual({ code: 4401, reason: 'unauthorized' });
      expect((await closed(path, TOKENS[1]!.token)).code, what).toBe(4403);
      expect(await closed(path, TOKENS[0]!.token), what).toEqual({ code: 4404, reason: `${what}_not_found` });
      const plain = await api.app.inject({ url: path });
      expect(plain.statusCode, what).toBe(426);
    }
  });

  it('streams a snapshot, state changes and device events on the WebSocket, with token auth', async () => {
    const services = fakeServices([onlinePrinter('receipt-1'), onlinePrinter('receipt-2')]);
    const { api, bus } = await build(TOKENS, services);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };

    const refused = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`);
    const code = await new Promise<number>((resolve) => refused.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?devices=receipt-1`, {
      headers: bearer(TOKENS[0]!.token),
    });
    const messages: Array<{ event: string; data: Record<string, unknown> }> = [];
    const got = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (messages.length >= n ? resolve() : setTimeout(check, 5));
        check();
      });
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await got(1);
    expect(messages[0]).toMatchObject({ event: 'snapshot', data: { devices: [{ device: 'receipt-1' }] } });
    bus.emit('device.state', { ...onlinePrinter('receipt-2'), status: 'offline' });
    bus.emit('device.state', { ...onlinePrinter('receipt-1'), status: 'offline', reason: 'peer closed' });
    bus.emit('device.event', { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} });
    await got(3);
    expect(messages.slice(1)).toEqual([
      { event: 'device.state', data: expect.objectContaining({ device: 'receipt-1', status: 'offline' }) },
      {
        event: 'device.event',
        data: { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} },
      },
    ]);
    ws.close();
    await new Promise((resolve) => ws.on('close', resolve));
    // the socket's listeners are gone from the bus
    await expect.poll(() => bus.listenerCount('device.state')).toBe(0);
  });

  it('sends a device event before the events a gateway listener emits in answer to it, the gateway listener added first', async () => {
    const services = fakeServices([onlinePrinter('receipt-1')]);
    const { api, bus } = await build(TOKENS, services);
    // A gateway listener there before any client, as payments answer a `cash.credit` with `cash.payment`.
    bus.on('device.event', {}, (event) => {
      if (event.type === 'printer.paper_out')
        bus.emit('device.event', { device: 'receipt-1', type: 'printer.job_failed', time: 'now', data: {} });
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?devices=receipt-1`, {
      headers: bearer(TOKENS[0]!.token),
    });
    const messages: Array<{ event: string; data: { type?: string } }> = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await expect.poll(() => messages.length).toBe(1);
    bus.emit('device.event', { device: 'receipt-1', type: 'printer.paper_out', time: 'now', data: {} });
    await expect.poll(() => messages.length).toBe(3);
    expect(messages.slice(1).map((m) => m.data.type)).toEqual(['printer.paper_out', 'printer.job_failed']);
    ws.close();
    await new Promise((resolve) => ws.on('close', resolve));
  });

  it('refuses a SIP2 field separator or a control character in a patron, PIN or item, naming only the field', async () => {
    const { api } = await build([]);
    const checkout = (body: object) =>
      api.app.inject({ method: 'POST', url: '/api/v1/checkouts', payload: body });
    expect((await checkout({ patron: 'P1', pin: '1234', item: 'B1' })).statusCode).toBe(200);
    // Non-ASCII is fine: only `|` (which would start a new SIP2 field), C0 controls and DEL are refused.
    expect((await checkout({ patron: 'P1', pin: '1234', item: 'Zoë-7' })).statusCode).toBe(200);
    for (const [field, value] of [
      ['patron', 'P1|AOother'],
      ['pin', '12\r34'],
      ['item', 'B1\u0000'],
      ['item', '\u007fB1'],
      ['item', '|'],
    ] as const) {
      const answer = await checkout({ patron: 'P1', pin: '1234', item: 'B1', [field]: value });
      expect(answer.statusCode, `${field} ${JSON.stringify(value)}`).toBe(400);
      expect(answer.json()).toMatchObject({
        type: 'urn:carrel:problem:invalid_request',
        errors: [{ path: `body.${field}`, message: 'must not contain | or control characters' }],
      });
      // The value itself is not echoed (a lone `|` is in the message's own words).
      if (value.length > 1) expect(answer.body).not.toContain(JSON.stringify(value).slice(1, -1));
    }
  });

  it('refuses to bind a non-loopback address when no tokens are configured', async () => {
    const feature = httpFeature({
      modules: FAMILY_API_MODULES,
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: [],
      version: '0',
      host: '0.0.0.0',
      port: 0,
    });
    await expect(feature.start()).rejects.toMatchObject({ code: 'insecure_bind' });
  });
});
