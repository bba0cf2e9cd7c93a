/**
 * The floor under the gateway's footprint: a Node process with what any HTTP
 * gateway on this stack holds — fastify listening, a SQLite database open (the
 * backend Carrel would choose), pino — and nothing else. It answers /readyz and
 * prints the same `API http://…/api/v1` line `carrel start` does, so the desk
 * benchmark starts and measures it the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { chooseBackend, connect } from '../src/gateway/storage/backends.js';

const logger = pino({ level: 'warn' });
const folder = mkdtempSync(join(tmpdir(), 'carrel-floor-'));
const db = connect(chooseBackend(), join(folder, 'floor.db'));
db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)');
const app = Fastify({ loggerInstance: logger });
app.get('/readyz', async () => ({ ready: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`API ${address}/api/v1\n`);
process.once(
  'SIGTERM',
  () =>
    void app.close().then(() => {
      db.close();
      rmSync(folder, { recursive: true, force: true });
      process.exit(0);
    }),
);
