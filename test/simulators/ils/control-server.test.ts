/**
 * The ILS simulator's control API over HTTP: its state, and faults set at run
 * time — a hung, slow or dropping ILS — seen from Carrel's own ILS link.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { sampleKioskClient } from '../../helpers/sample-ils.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

let simulator: IlsSimulator;

beforeEach(async () => {
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
});

afterEach(async () => {
  await simulator.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${simulator.controlUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });

const itemInformation = {
  type: 'itemInformation',
  transactionDate: new Date(),
  institutionId: 'RIVERSIDE',
  itemIdentifier: '31000005',
} as const;

describe('ILS simulator control API', () => {
  it('listens on loopback and tells the state: SIP2 address, each connection, faults, library size', async () => {
    expect(simulator.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = await Sip2TestClient.connect(simulator.port);
    try {
      await client.login('kiosk1', 'kiosk1pw');
      const response = await call('GET', '/api/state');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({
        sip2: simulator.url,
        connections: 1,
        connectionsAccepted: 1,
        links: [{ loggedIn: true, reading: true, pendingRequests: 0 }],
        faults: {},
        library: { patrons: 11, items: 31 },
      });
    } finally {
      client.close();
    }
  });

  it('sets and clears faults with PUT /api/faults, and refuses what it does not know', async () => {
    let response = await call('PUT', '/api/faults', { hang: true, latencyMs: 250 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hang: true, latencyMs: 250 });
    expect(simulator.faults()).toEqual({ hang: true, latencyMs: 250 });
    expect(await (await call('GET', '/api/faults')).json()).toEqual({ hang: true, latencyMs: 250 });

    response = await call('PUT', '/api/faults', { latencyMs: -1 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/latencyMs/);
    response = await call('PUT', '/api/faults', { explode: true });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/explode/);
    expect((await call('PUT', '/api/faults', undefined)).status).toBe(200);
    expect(simulator.faults()).toEqual({});
    response = await fetch(`${simulator.controlUrl}/api/faults`, { method: 'PUT', body: '{not json' });
    expect(response.status).toBe(400);
    expect((await call('GET', '/api/nothing')).status).toBe(404);
  });

  it('slow and hung as Carrel’s ILS link sees them', async () => {
    const client = sampleKioskClient(simulator.port, {
      requestTimeoutMs: 300,
      connectTimeoutMs: 1000,
      pool: { size: 1, maxWaiting: 10 },
    });
    await client.connect();
    try {
      // Slow, within the link's timeout: answered.
      await call('PUT', '/api/faults', { latencyMs: 50 });
      const slow = await client.pool.exchange(itemInformation);
      expect(slow.message).toMatchObject({ type: 'itemInformationResponse', titleIdentifier: 'Dune' });
      // Hung: the link's request times out; the simulator read it and keeps its connection open.
      await call('PUT', '/api/faults', { hang: true });
      await expect(client.pool.exchange(itemInformation)).rejects.toMatchObject({ code: 'ils_timeout' });
    } finally {
      await client.disconnect();
    }
  });

  it('drops every SIP2 connection with DELETE /api/connections', async () => {
    const client = await Sip2TestClient.connect(simulator.port);
    await client.login('kiosk1', 'kiosk1pw');
    const response = await call('DELETE', '/api/connections');
    expect(await response.json()).toEqual({ dropped: 1 });
    await client.closed;
    expect(simulator.connections).toBe(0);
  });
});
