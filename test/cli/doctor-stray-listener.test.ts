/**
 * `carrel doctor` asks the process on the desk's HTTP port how the desk is, and sends the
 * configuration's monitor token to learn where the desk's database is. A stray web server that
 * holds that port (an intranet page left on 8480, another program) must never receive the token:
 * doctor first asks /readyz without it, and sends it only to a listener that answers as Carrel.
 * The desk and doctor run the compiled code in dist/: `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';

const MONITOR_TOKEN = 'monitor-token-never-for-strangers-0123';

type Check = DoctorCheck;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-stray-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deskFile(port: number): string {
  const file = join(dir, 'desk.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: 'stray-test',
      http: { host: '127.0.0.1', port },
      auth: { tokens: [{ name: 'it-monitoring', token: MONITOR_TOKEN, scopes: ['monitor'] }] },
      storage: { path: join(dir, 'state', 'carrel.db') },
      mqtt: { mode: 'off' },
      devices: [],
    }),
  );
  return file;
}

/** A web server of port 0 that is not Carrel, keeping every request it was sent. */
async function strayServer(
  answer: (request: IncomingMessage) => { status: number; type: string; body: string },
): Promise<{ server: Server; port: number; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    const { status, type, body } = answer(request);
    response.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, requests };
}

describe('carrel doctor with another web server on the desk’s HTTP port', () => {
  const strays = [
    {
      what: 'an intranet page answering every path with HTML',
      answer: () => ({ status: 200, type: 'text/html', body: '<h1>Staff intranet</h1>' }),
    },
    {
      what: 'a JSON service answering /readyz with a readiness of its own',
      answer: () => ({
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ status: 'ok', ready: true, checks: [{ name: 'database', ok: true }] }),
      }),
    },
  ];

  for (const stray of strays) {
    it(`never sends it the monitor token, and says something else holds the port: ${stray.what}`, async () => {
      const { server, port, requests } = await strayServer(stray.answer);
      try {
        const run = await runCarrel(['doctor', '--config', deskFile(port), '--json', '--timeout', '5'], {
          cwd: dir,
          env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' },
        });
        // It was asked how the desk is (the question reached it), but never with the token.
        expect(requests.map((r) => r.url)).toContain('/readyz');
        for (const request of requests) {
          expect(request.headers.authorization).toBeUndefined();
          expect(JSON.stringify(request.headers)).not.toContain(MONITOR_TOKEN);
        }
        expect(run.stderr).toBe('');
        expect(run.code).toBe(1);
        const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
        expect(checks.find((c) => c.name === `HTTP port ${port}`)).toEqual({
          name: `HTTP port ${port}`,
          status: 'fail',
          detail: `127.0.0.1:${port} is in use by a process that is not Carrel: it does not answer /readyz as Carrel does (the configuration's monitor token was not sent to it)`,
          hint: `see which with \`ss -ltnp 'sport = :${port}'\`; stop it or set http.port to a free port`,
        });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }, 30_000);
  }
});
