/**
 * The least an HTTP-to-SIP2 gateway can do: node:http, `POST /api/v1/checkouts`
 * with `{patron, pin, item}` turned into one SIP2 checkout (11) on a pool of
 * logged-in connections, and the answer's ok flag sent back as 200 or 409. No
 * validation, auth, mapping, statistics, offline journal or metrics. The
 * circulation benchmark runs it as a fourth path, so the price of an HTTP API
 * in front of SIP2 on the machine — HTTP parsing on both ends, JSON, the SIP2
 * codec, the extra process — shows apart from what Carrel does besides.
 *
 * `node bare-http-gateway.js <ILS port>` prints `API http://127.0.0.1:<port>/api/v1`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DirectKiosk } from './circulation-rig.js';

const CONNECTIONS = 32;

async function serve(ilsPort: number): Promise<void> {
  const idle = await Promise.all(Array.from({ length: CONNECTIONS }, () => DirectKiosk.open(ilsPort)));
  const queue: Array<(link: DirectKiosk) => void> = [];
  const checkout = async (patron: string, pin: string, item: string): Promise<boolean> => {
    const link = idle.pop() ?? (await new Promise<DirectKiosk>((resolve) => queue.push(resolve)));
    try {
      return await link.checkout(patron, item, pin);
    } finally {
      const next = queue.shift();
      if (next) next(link);
      else idle.push(link);
    }
  };
  const answer = (response: ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') return answer(response, 200, { status: 'ok' });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { patron, pin, item } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<
        string,
        string
      >;
      checkout(patron ?? '', pin ?? '', item ?? '').then(
        (ok) => answer(response, ok ? 200 : 409, { ok }),
        () => answer(response, 502, { ok: false }),
      );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') console.log(`API http://127.0.0.1:${address.port}/api/v1`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

const ilsPort = Number(process.argv[2]);
if (!Number.isInteger(ilsPort) || ilsPort <= 0 || ilsPort > 65535) {
  console.error('usage: bare-http-gateway <ILS port>');
  process.exit(2);
}
await serve(ilsPort);
