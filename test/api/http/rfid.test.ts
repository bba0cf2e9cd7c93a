import { describe, expect, it } from 'vitest';
import { AUTH, useFakeApi } from './api-rig.js';
import { FAKE_V1_UID } from './fake-services.js';

const build = useFakeApi();
const { kiosk: KIOSK, staff: STAFF, monitor: MONITOR } = AUTH;

const tagsUrl = '/api/v1/rfid/pad-1/tags';
const securityUrl = (uid = FAKE_V1_UID) => `${tagsUrl}/${uid}/security`;
const programUrl = (uid = FAKE_V1_UID) => `${tagsUrl}/${uid}/program`;

describe('HTTP API: RFID', () => {
  it('lets kiosk and staff read the pad and set security, only staff program, and no monitor', async () => {
    const { api } = await build();
    for (const headers of [KIOSK, STAFF]) {
      const tags = await api.app.inject({ url: tagsUrl, headers });
      expect(tags.statusCode).toBe(200);
      expect(tags.json()).toMatchObject({
        tags: [{ uid: FAKE_V1_UID, item: { primaryItemId: '1000000056' } }],
        incompleteSets: [],
      });
      const secured = await api.app.inject({
        method: 'POST',
        url: securityUrl(),
        headers,
        payload: { secured: false },
      });
      expect(secured.statusCode).toBe(200);
      expect(secured.json()).toEqual({ uid: FAKE_V1_UID, secured: false, status: 'done' });
    }
    expect((await api.app.inject({ url: tagsUrl, headers: MONITOR })).statusCode).toBe(403);
    expect((await api.app.inject({ url: tagsUrl })).statusCode).toBe(401);

    const program = { format: '28560-3', primaryItemId: '3000000001' };
    const byKiosk = await api.app.inject({
      method: 'POST',
      url: programUrl(),
      headers: KIOSK,
      payload: program,
    });
    expect(byKiosk.statusCode).toBe(403);
    const byStaff = await api.app.inject({
      method: 'POST',
      url: programUrl(),
      headers: STAFF,
      payload: program,
    });
    expect(byStaff.statusCode).toBe(200);
    expect(byStaff.json().item.primaryItemId).toBe('3000000001');
  });

  it('answers 202 for a write that waits for its tag, 409 for one given up', async () => {
    const { api, rfid } = await build();
    rfid.setSecurityStatus('pending');
    const pending = await api.app.inject({
      method: 'POST',
      url: securityUrl(),
      headers: STAFF,
      payload: { secured: true },
    });
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toMatchObject({ status: 'pending' });
    rfid.setSecurityStatus('failed');
    const failed = await api.app.inject({
      method: 'POST',
      url: securityUrl(),
      headers: STAFF,
      payload: { secured: true },
    });
    expect(failed.statusCode).toBe(409);
    expect(failed.headers['content-type']).toContain('application/problem+json');
    expect(failed.json()).toMatchObject({ type: 'urn:carrel:problem:rfid_security_failed' });
  });

  it('validates the reader, the uid and the bodies, and maps gateway errors', async () => {
    const { api, rfid } = await build();
    const cases: Array<{ url: string; method?: 'POST'; payload?: object; status: number; code: string }> = [
      { url: '/api/v1/rfid/nope/tags', status: 404, code: 'device_not_found' },
      { url: '/api/v1/rfid/receipt-1/tags', status: 409, code: 'not_an_rfid_reader' },
      { url: '/api/v1/rfid/BAD%20ID/tags', status: 400, code: 'invalid_request' },
      {
        url: securityUrl('E004'),
        method: 'POST',
        payload: { secured: true },
        status: 400,
        code: 'invalid_request',
      },
      {
        url: securityUrl('E0040100000000ZZ'),
        method: 'POST',
        payload: { secured: true },
        status: 400,
        code: 'invalid_request',
      },
      {
        url: securityUrl('E0040100000000FF'),
        method: 'POST',
        payload: { secured: true },
        status: 404,
        code: 'rfid_tag_not_found',
      },
      { url: securityUrl(), method: 'POST', payload: {}, status: 400, code: 'invalid_request' },
      {
        url: securityUrl(),
        method: 'POST',
        payload: { secured: true, extra: 1 },
        status: 400,
        code: 'invalid_request',
      },
      {
        url: programUrl(),
        method: 'POST',
        payload: { format: '28560-3', primaryItemId: '' },
        status: 400,
        code: 'invalid_request',
      },
      {
        url: programUrl(),
        method: 'POST',
        payload: { format: '28560-3', primaryItemId: '1', set: { part: 3, parts: 2 } },
        status: 400,
        code: 'invalid_request',
      },
      {
        url: programUrl(),
        method: 'POST',
        payload: { format: '28560-3', primaryItemId: '1', typeOfUsage: 'reserved' },
        status: 400,
        code: 'invalid_request',
      },
    ];
    for (const c of cases) {
      const response = await api.app.inject({
        method: c.method ?? 'GET',
        url: c.url,
        headers: STAFF,
        ...(c.payload ? { payload: c.payload } : {}),
      });
      expect(response.statusCode, `${c.url} ${JSON.stringify(c.payload)}`).toBe(c.status);
      expect(response.json().code).toBe(c.code);
    }
    // a lower-case uid is the same tag
    const lower = await api.app.inject({
      method: 'POST',
      url: programUrl(FAKE_V1_UID.toLowerCase()),
      headers: STAFF,
      payload: { format: '28560-2', primaryItemId: 'P1', typeOfUsage: 'patron-card', lock: true },
    });
    expect(lower.statusCode).toBe(200);
    expect(rfid.programmed.at(-1)).toEqual({
      reader: 'pad-1',
      uid: FAKE_V1_UID,
      request: { format: '28560-2', primaryItemId: 'P1', typeOfUsage: 'patron-card', lock: true },
    });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const { api } = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/rfid/{reader}/tags',
        '/api/v1/rfid/{reader}/tags/{uid}/security',
        '/api/v1/rfid/{reader}/tags/{uid}/program',
      ]),
    );
    // A tag's EAS bit beside its AFI, each null where not read.
    const tag = doc.components.schemas.RfidTag;
    expect(tag.required).toEqual(expect.arrayContaining(['afi', 'eas', 'secured']));
    expect(tag.properties.eas.type).toEqual(['boolean', 'null']);
  });
});
