import { afterEach } from 'vitest';
import WebSocket from 'ws';
import type { TokenConfig } from '../../../src/api/http/auth.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeServices } from './fake-services.js';

/** Tokens for API tests: a kiosk, desk staff and IT monitoring. */
export const TEST_TOKENS: TokenConfig[] = [
  { name: 'kiosk-1', token: 'kiosk-token-0123456789', scopes: ['kiosk'] },
  { name: 'desk', token: 'staff-token-0123456789', scopes: ['staff'] },
  { name: 'monitoring', token: 'monitor-token-0123456789', scopes: ['monitor'] },
];

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Authorization headers for each of TEST_TOKENS. */
export const AUTH = {
  kiosk: bearer(TEST_TOKENS[0]!.token),
  staff: bearer(TEST_TOKENS[1]!.token),
  monitor: bearer(TEST_TOKENS[2]!.token),
};

/**
 * The HTTP API over the fake desk, closed after each test: call in a test
 * file's top level, then `build()` in each test.
 */
export function useFakeApi(tokens: TokenConfig[] = TEST_TOKENS, allowedOrigins: readonly string[] = []) {
  let api: HttpApi | undefined;
  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });
  return async function build() {
    const fake = fakeServices();
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fake.services,
      logger: silentLogger(),
      tokens,
      version: 'test',
      allowedOrigins,
    });
    return { api, ...fake };
  };
}

/**
 * A WebSocket handshake as the `ws` client sees it: opened, or the HTTP status it got instead.
 * With `untilClosed` an opened socket is waited on until the server closes it (its code);
 * otherwise it is closed at once.
 */
export function wsHandshake(
  url: string,
  headers: Record<string, string> = {},
  { untilClosed = false } = {},
): Promise<{ opened: boolean; status?: number; closeCode?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode });
      response.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      if (untilClosed) {
        ws.once('close', (code) => resolve({ opened: true, closeCode: code }));
      } else {
        resolve({ opened: true });
        ws.close();
      }
    });
    ws.on('error', () => {});
  });
}
