import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { RfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import type { SessionItemView, SessionView } from '../../src/gateway/sessions/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * The simulated desk as `npm start` runs it, out of the box: its self-check pad holds two
 * of the sample library's available items, so the demo kiosk's first checkout session
 * checks them out, and a return session checks them back in.
 */
const SECURED = 0x07;
const UNSECURED = 0xc2;
const SEEDED = ['31000004', '31000005'];

let desk: TestDesk;

beforeAll(async () => {
  desk = await startTestDesk();
  await waitForDevice(desk.api, 'ils', 'online');
  await waitForDevice(desk.api, 'selfcheck-1', 'online');
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
type Json = any;

const api = jsonApi(() => desk.api);
const call = (method: string, path: string, body?: unknown) => api<Json>(method, path, body);

/** The session's items once every seeded item has reached `state`. */
const settled = (id: string, state: SessionItemView['state']) =>
  until(async () => {
    const { items } = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
    const seeded = SEEDED.map((barcode) => items.find((i) => i.item === barcode));
    return seeded.every((i) => i?.state === state) ? (seeded as SessionItemView[]) : undefined;
  });

const pad = (): RfidPadSimulator => desk.desk.simulators.handle(rfidPadSimulators, 'selfcheck-sim')!;
const afis = () =>
  pad()
    .tags()
    .map((tag) => tag.afi);

describe("the default desk's self-check pad", () => {
  it('checks out the two items lying on it to the demo patron, and a return session checks them in', async () => {
    // The pad reads both items as ISO 28560-3 tags of the sample library.
    const read = await until(async () => {
      const { tags } = (await call('GET', '/api/v1/rfid/selfcheck-1/tags')).body as { tags: Json[] };
      return tags.length === 2 ? tags : undefined;
    });
    expect(read.map((t) => t.item?.primaryItemId).sort()).toEqual(SEEDED);
    expect(afis()).toEqual([SECURED, SECURED]);

    const opened = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      pad: 'selfcheck-1',
      patron: '21000001',
      pin: '1234',
    });
    expect(opened.status).toBe(201);
    expect(opened.body.patron.name).toBe('Zoë Åström');
    const loans = await settled(opened.body.id, 'checked_out');
    expect(loans.map((i) => [i.title, i.security])).toEqual([
      ['Middlemarch', 'cleared'],
      ['Dune', 'cleared'],
    ]);
    for (const loan of loans) expect(loan.dueDate?.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(afis()).toEqual([UNSECURED, UNSECURED]);
    for (const item of SEEDED)
      expect((await call('GET', `/api/v1/items/${item}`)).body.item.status).toBe('charged');
    expect((await call('POST', `/api/v1/sessions/${opened.body.id}/end`, { receipt: 'none' })).status).toBe(
      200,
    );

    const returning = await call('POST', '/api/v1/sessions', { mode: 'return', pad: 'selfcheck-1' });
    expect(returning.status).toBe(201);
    const returns = await settled(returning.body.id, 'checked_in');
    expect(returns.map((i) => i.security)).toEqual(['set', 'set']);
    expect(afis()).toEqual([SECURED, SECURED]);
    for (const item of SEEDED)
      expect((await call('GET', `/api/v1/items/${item}`)).body.item.status).toBe('available');
    await call('POST', `/api/v1/sessions/${returning.body.id}/end`, { receipt: 'none' });
  });
});
