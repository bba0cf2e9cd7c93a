import { expect } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import type { Sip2RelayConfig } from '../../src/gateway/relay/index.js';
import { KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import type { TestDesk } from './desk.js';

/** The self-check account of a desk with a relay (`withRelay`). */
export const RELAY_USER = 'selfcheck-1';
export const RELAY_PASSWORD = 'relay-secret';

/**
 * The desk's config with a SIP2 relay on a free port: one self-check account speaking UTF-8 with
 * CR and error detection, and the relay's offline policy as given (all of it, with the spec's
 * timeout and retries, so a test says what it relies on).
 */
export function withRelay(
  config: CarrelConfig,
  offline: Pick<Sip2RelayConfig['offline'], 'offlineOk' | 'checkinOk' | 'checkoutOk'>,
): CarrelConfig {
  return {
    ...config,
    sip2Relay: {
      port: 0,
      host: '127.0.0.1',
      accounts: [
        {
          kioskUser: RELAY_USER,
          kioskPassword: RELAY_PASSWORD,
          charset: 'utf-8',
          terminator: 'CR',
          errorDetection: true,
        },
      ],
      offline: { ...offline, timeoutPeriod: 30, retriesAllowed: 3, screenMessage: 'ILS offline' },
      maxConnections: 8,
      maxConnectionsPerAddress: 8,
      loginTimeoutSeconds: 10,
      maxFrameSize: 8192,
      idleTimeoutSeconds: 600,
    },
  } as CarrelConfig;
}

/** The port the desk's relay listens on. */
export function relayPortOf(testDesk: TestDesk): number {
  return Number(/:(\d+)$/.exec(testDesk.desk.urls().sip2Relay ?? '')?.[1]);
}

/** A self-check connected to the desk's relay over TCP and logged in (93, sequence 0) as `RELAY_USER`. */
export async function loggedInSelfCheck(testDesk: TestDesk): Promise<KioskLink> {
  const link = await KioskLink.open(relayPortOf(testDesk));
  const login = await link.request(withErrorDetection(`9300CN${RELAY_USER}|CO${RELAY_PASSWORD}|CPMAIN|`, 0));
  expect(login?.toString('latin1')).toMatch(/^941/);
  return link;
}
