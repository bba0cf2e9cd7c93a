import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HttpApi } from '../../../src/api/http/server.js';
import { bearer, useFakeApi } from './api-rig.js';
import { FAKE_V1_UID } from './fake-services.js';

/**
 * The sessions API over the fake desk (patron P1, PIN 1234; pad-1 with tag V1
 * for item 1000000056): who may see a session, what a request must hold, and
 * the live socket. The session logic itself runs for real over the fakes.
 */
const TOKENS = [
  { name: 'kiosk-1', token: 'kiosk-one-token-0123456789', scopes: ['kiosk' as const] },
  { name: 'kiosk-2', token: 'kiosk-two-token-0123456789', scopes: ['kiosk' as const] },
  { name: 'desk', token: 'staff-token-0123456789', scopes: ['staff' as const] },
  { name: 'monitoring', token: 'monitor-token-0123456789', scopes: ['monitor' as const] },
];
const [kiosk1, kiosk2, staff, monitor] = TOKENS.map((t) => bearer(t.token));

const build = useFakeApi(TOKENS);

const open = (app: HttpApi['app'], headers: Record<string, string>, body: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/sessions', headers, payload: body as object });

describe('sessions API', () => {
  it('a session answers only to the kiosk that opened it, and to staff', async () => {
    const { api } = await build();
    const opened = await open(api.app, kiosk1!, { mode: 'checkout', patron: 'P1', pin: '1234' });
    expect(opened.statusCode).toBe(201);
    const id = opened.json().id as string;
    expect(opened.json().patron).toMatchObject({ name: 'Fake Patron', blocked: false });
    expect(opened.body).not.toContain('"P1"');

    expect((await api.app.inject({ url: `/api/v1/sessions/${id}`, headers: kiosk1 })).statusCode).toBe(200);
    const other = await api.app.inject({ url: `/api/v1/sessions/${id}`, headers: kiosk2 });
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('session_not_found');
    const scan = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${id}/items`,
      headers: kiosk2,
      payload: { item: 'I1' },
    });
    expect(scan.statusCode).toBe(404);
    const keepAlive = (headers: Record<string, string> | undefined) =>
      api.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/keep-alive`, headers });
    const kept = await keepAlive(kiosk1);
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toMatchObject({ id, state: 'open', expiresAt: expect.any(String) });
    expect((await keepAlive(kiosk2)).statusCode).toBe(404);
    expect((await keepAlive(monitor)).statusCode).toBe(403);
    expect((await api.app.inject({ url: '/api/v1/sessions', headers: kiosk2 })).json().sessions).toEqual([]);
    expect((await api.app.inject({ url: `/api/v1/sessions/${id}`, headers: staff })).statusCode).toBe(200);
    expect((await api.app.inject({ url: '/api/v1/sessions', headers: monitor })).statusCode).toBe(403);
  });

  it('validates what a kiosk sends', async () => {
    const { api } = await build();
    const both = await open(api.app, kiosk1!, {
      mode: 'checkout',
      patron: 'P1',
      patronCard: true,
      pad: 'pad-1',
    });
    expect(both.statusCode).toBe(400);
    const badMode = await open(api.app, kiosk1!, { mode: 'borrow', patron: 'P1' });
    expect(badMode.statusCode).toBe(400);
    const pipe = await open(api.app, kiosk1!, { mode: 'checkout', patron: 'P1|AO', pin: '1234' });
    expect(pipe.statusCode).toBe(400);
    const noPatron = await open(api.app, kiosk1!, { mode: 'checkout' });
    expect(noPatron.statusCode).toBe(422);
    expect(noPatron.json().code).toBe('patron_required');
    const unknown = await open(api.app, kiosk1!, { mode: 'checkout', patron: 'P2', pin: '1' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'patron_not_found', screenMessages: ['Unknown patron'] });
    const noPad = await open(api.app, kiosk1!, { mode: 'return', pad: 'pad-9' });
    expect(noPad.statusCode).toBe(404);
    const printerAsPad = await open(api.app, kiosk1!, { mode: 'return', pad: 'receipt-1' });
    expect(printerAsPad.statusCode).toBe(409);
    expect(printerAsPad.json().code).toBe('not_an_rfid_reader');
    const notUuid = await api.app.inject({ url: '/api/v1/sessions/123', headers: kiosk1 });
    expect(notUuid.statusCode).toBe(400);
  });

  it('takes the item already on the pad, streams its state, and ends with the receipt as data', async () => {
    const { api, submitted } = await build();
    const opened = await open(api.app, kiosk1!, {
      mode: 'checkout',
      patron: 'P1',
      pin: '1234',
      pad: 'pad-1',
    });
    const id = opened.json().id as string;
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const address = api.app.server.address() as { port: number };

    const refused = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/sessions/${id}/events`, {
      headers: kiosk2,
    });
    const refusedCode = await new Promise<number>((resolve) => refused.on('close', (code) => resolve(code)));
    expect(refusedCode).toBe(4404);

    const socket = new WebSocket(
      `ws://127.0.0.1:${address.port}/api/v1/sessions/${id}/events?access_token=${TOKENS[0]!.token}`,
    );
    const updates: Array<{ event: string; data: Record<string, unknown> }> = [];
    socket.on('message', (raw) => updates.push(JSON.parse(String(raw))));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await expect
      .poll(() =>
        updates.some(
          (u) =>
            (u.event === 'session' &&
              (u.data.items as Array<{ state: string }>).some((i) => i.state === 'checked_out')) ||
            (u.event === 'item' && u.data.state === 'checked_out'),
        ),
      )
      .toBe(true);
    const session = (await api.app.inject({ url: `/api/v1/sessions/${id}`, headers: kiosk1 })).json();
    expect(session.items).toEqual([
      expect.objectContaining({
        item: '1000000056',
        state: 'checked_out',
        security: 'cleared',
        tags: [FAKE_V1_UID],
      }),
    ]);

    const ended = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${id}/end`,
      headers: kiosk1,
      payload: { receipt: 'data' },
    });
    expect(ended.statusCode).toBe(200);
    expect(ended.json().receipt).toMatchObject({
      kind: 'data',
      template: 'checkout',
      data: {
        patron: { name: 'Fake Patron' },
        loans: [{ barcode: '1000000056', title: 'Title of 1000000056' }],
      },
    });
    expect(submitted).toEqual([]);
    expect(await closed).toBe(1000);
    expect(updates.at(-1)).toMatchObject({ event: 'ended', data: { state: 'ended', endReason: 'ended' } });
  });

  it('a session opened on a screen is acted on from that screen; another takes it over only when that one is gone, or on purpose', async () => {
    const { api } = await build();
    const A = 'screen-aaaa-1111';
    const B = 'screen-bbbb-2222';
    const opened = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions?screen=${A}`,
      headers: kiosk1,
      payload: { mode: 'checkout', patron: 'P1', pin: '1234', pad: 'pad-1' },
    });
    expect(opened.statusCode).toBe(201);
    const id = opened.json().id as string;
    const call = (method: 'POST' | 'DELETE', path: string, screen?: string, payload?: object) =>
      api.app.inject({
        method,
        url: `/api/v1/sessions/${id}${path}${screen ? `?screen=${screen}` : ''}`,
        headers: kiosk1,
        ...(payload ? { payload } : {}),
      });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    const follow = (screen: string) => {
      const socket = new WebSocket(
        `ws://127.0.0.1:${port}/api/v1/sessions/${id}/events?screen=${screen}&access_token=${TOKENS[0]!.token}`,
      );
      const events: string[] = [];
      socket.on('message', (raw) => events.push(JSON.parse(String(raw)).event));
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      return { socket, events, closed };
    };
    const onA = follow(A);
    await expect.poll(() => onA.events).toEqual(['session']);

    // Another screen may read the session, but not act on it, nor take it while A is connected.
    for (const [method, path, payload] of [
      ['POST', '/keep-alive', undefined],
      ['POST', '/items', { item: '1000000056' }],
      ['POST', '/end', { receipt: 'none' }],
      ['DELETE', '', undefined],
    ] as const) {
      const refused = await call(method, path, B, payload);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('session_on_another_screen');
    }
    expect((await call('POST', '/take-over', B, {})).json().code).toBe('session_on_another_screen');
    // Nor a copy of A (a duplicated tab carries A's id) while A is connected.
    expect((await call('POST', '/take-over', A, {})).json().code).toBe('session_on_another_screen');
    expect((await call('POST', '/take-over', undefined, {})).statusCode).toBe(422);
    // A client that names no screen works as it always did.
    expect((await call('POST', '/keep-alive')).statusCode).toBe(200);
    expect((await call('POST', '/keep-alive', A)).statusCode).toBe(200);

    // On purpose: A's feed is told and closed, and A may no longer act on it.
    const taken = await call('POST', '/take-over', B, { force: true });
    expect(taken.statusCode).toBe(200);
    expect(taken.json()).toMatchObject({ id, state: 'open' });
    expect(await onA.closed).toBe(4409);
    expect(onA.events.at(-1)).toBe('moved');
    expect((await call('DELETE', '', A)).json().code).toBe('session_on_another_screen');
    const again = follow(A);
    expect(await again.closed).toBe(4409);
    expect(again.events).toEqual(['moved']);

    // B's screen gone (no feed): A may take it back without force once B stayed away past the
    // grace (1 s here) — before, B may be reconnecting after a network blip.
    const onB = follow(B);
    await expect.poll(() => onB.events).toEqual(['session']);
    expect((await call('POST', '/take-over', A, {})).statusCode).toBe(409);
    onB.socket.close();
    await onB.closed;
    await expect
      .poll(async () => (await call('POST', '/take-over', A, {})).json().code)
      .toBe('session_screen_away');
    const away = await call('POST', '/take-over', A, {});
    expect(away.statusCode).toBe(409);
    expect(away.json().detail).toMatch(
      /lost its connection \d+ s ago and may come back: it can be taken over in \d+ s, or now with force/,
    );
    await expect
      .poll(async () => (await call('POST', '/take-over', A, {})).statusCode, { timeout: 3_000 })
      .toBe(200);
    // A's feed drops and comes back within the grace: B is told A is away, then that A is back.
    const onA2 = follow(A);
    await expect.poll(() => onA2.events).toEqual(['session']);
    onA2.socket.close();
    await onA2.closed;
    await expect
      .poll(async () => (await call('POST', '/take-over', B, {})).json().code)
      .toBe('session_screen_away');
    const onA3 = follow(A);
    await expect.poll(() => onA3.events).toEqual(['session']);
    expect((await call('POST', '/take-over', B, {})).json().code).toBe('session_on_another_screen');
    onA3.socket.close();
    await onA3.closed;
    expect((await call('DELETE', '', A)).statusCode).toBe(200);
  });

  it('prints the receipt on the configured printer, or hands the data back when it cannot', async () => {
    const { api, submitted } = await build();
    const first = (await open(api.app, kiosk1!, { mode: 'return' })).json().id as string;
    await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${first}/items`,
      headers: kiosk1,
      payload: { item: 'I7' },
    });
    const printed = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${first}/end`,
      headers: kiosk1,
      payload: { receipt: 'print' },
    });
    expect(printed.json().receipt).toMatchObject({ kind: 'printed', printer: 'receipt-1' });
    expect(submitted).toEqual([
      expect.objectContaining({
        printer: 'receipt-1',
        template: 'checkin',
        data: expect.objectContaining({ returns: [{ title: 'Title of I7', barcode: 'I7', hold: false }] }),
      }),
    ]);

    const second = (await open(api.app, kiosk1!, { mode: 'return' })).json().id as string;
    const failed = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${second}/end`,
      headers: kiosk1,
      payload: { receipt: 'print', printer: 'printer-9' },
    });
    expect(failed.json().receipt).toMatchObject({
      kind: 'print_failed',
      error: { code: 'device_not_found' },
      template: 'checkin',
    });
  });

  it('counts open sessions in the metrics, by mode only', async () => {
    const { api } = await build();
    await open(api.app, kiosk1!, { mode: 'checkout', patron: 'P1', pin: '1234' });
    await open(api.app, kiosk2!, { mode: 'return' });
    const text = (await api.app.inject({ url: '/metrics', headers: monitor })).body;
    expect(text).toContain('carrel_sessions_open{mode="checkout"} 1');
    expect(text).toContain('carrel_sessions_open{mode="return"} 1');
    expect(text).not.toContain('Fake Patron');
    expect(text).not.toContain('P1');
  });

  it('is in the OpenAPI document', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sessions',
        '/api/v1/sessions/{id}',
        '/api/v1/sessions/{id}/items',
        '/api/v1/sessions/{id}/renewals',
        '/api/v1/sessions/{id}/keep-alive',
        '/api/v1/sessions/{id}/end',
        '/api/v1/sessions/{id}/take-over',
      ]),
    );
  });
});
