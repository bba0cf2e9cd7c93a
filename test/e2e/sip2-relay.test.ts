import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { Sip2TestClient } from '../simulators/ils/sip2-client.js';

/**
 * The SIP2 relay on the simulated desk: an existing self-check speaking IBM850
 * logs in to Carrel with its own account and reaches the sample library
 * through the gateway's pooled (UTF-8) ILS link.
 */
let testDesk: TestDesk;
let relayPort: number;

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    sip2Relay: {
      port: 0,
      host: '127.0.0.1',
      accounts: [
        {
          kioskUser: 'selfcheck-1',
          kioskPassword: 'relay-secret',
          charset: 'ibm850',
          terminator: 'CR',
          errorDetection: true,
        },
      ],
      offline: {
        offlineOk: false,
        checkinOk: false,
        checkoutOk: false,
        timeoutPeriod: 30,
        retriesAllowed: 3,
        screenMessage: 'ILS offline',
      },
      maxConnections: 8,
      maxConnectionsPerAddress: 8,
      loginTimeoutSeconds: 10,
      maxFrameSize: 8192,
      idleTimeoutSeconds: 600,
    },
  }));
  // the relay answers offline until the ILS link has logged in
  await waitForDevice(testDesk.api, 'ils', 'online');
  const url = testDesk.desk.urls().sip2Relay;
  relayPort = Number(/:(\d+)$/.exec(url ?? '')?.[1]);
});

afterAll(async () => {
  await testDesk?.stop();
});

const login = (user: string, password: string) =>
  ({
    type: 'login',
    uidAlgorithm: '0',
    pwdAlgorithm: '0',
    loginUserId: user,
    loginPassword: password,
    locationCode: 'MAIN',
  }) as const;

describe('the SIP2 relay on the simulated desk', () => {
  it('logs a self-check in with its own account and relays to the ILS in its charset', async () => {
    expect(relayPort).toBeGreaterThan(0);
    const kiosk = await Sip2TestClient.connect(relayPort, { charset: 'ibm850', timeZone: 'UTC' });
    try {
      expect(await kiosk.request(login('selfcheck-1', 'relay-secret'), 'loginResponse')).toMatchObject({
        ok: true,
      });
      const status = await kiosk.request(
        {
          type: 'patronStatusRequest',
          language: 'english',
          transactionDate: new Date(),
          institutionId: 'RIVERSIDE',
          patronIdentifier: '21000001',
          terminalPassword: '',
          patronPassword: '1234',
        },
        'patronStatusResponse',
      );
      expect(status).toMatchObject({
        personalName: 'Zoë Åström',
        validPatron: true,
        validPatronPassword: true,
      });
    } finally {
      kiosk.socket.destroy();
    }
  });

  it('refuses a self-check with the wrong password', async () => {
    const kiosk = await Sip2TestClient.connect(relayPort, { charset: 'ibm850', timeZone: 'UTC' });
    try {
      expect(await kiosk.request(login('selfcheck-1', 'guess'), 'loginResponse')).toMatchObject({
        ok: false,
      });
    } finally {
      kiosk.socket.destroy();
    }
  });
});
