/**
 * A full disk or a file system gone read-only under the desk's database: the caller is told so in
 * words (HTTP 507 / 503, the same codes on MQTT) and IT finds it in the log. The errors are real
 * SQLite errors, made the way SQLite makes them on a full or unwritable disk.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpApi, type HttpApi } from '../../src/api/http/server.js';
import { type OutgoingResponse, RequestDispatcher } from '../../src/api/mqtt/requests.js';
import { CarrelTopics } from '../../src/api/mqtt/topics.js';
import { FAMILY_API_MODULES } from '../../src/app/families.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, storageFaultCounts } from '../../src/gateway/storage/index.js';
import { fakeServices } from './http/fake-services.js';

/** The error SQLite gives when the disk is full (SQLITE_FULL, here at max_page_count). */
function diskFull(): unknown {
  const db = openDatabase(':memory:');
  try {
    db.exec('CREATE TABLE charges (id INTEGER PRIMARY KEY, receipt BLOB)');
    db.pragma(`max_page_count = ${Number(db.pragmaValue('page_count')) + 1}`);
    for (;;) db.prepare('INSERT INTO charges (receipt) VALUES (randomblob(4000))').run();
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
}

/** The error SQLite gives when it may not write (SQLITE_READONLY). */
function readOnly(): unknown {
  const db = openDatabase(':memory:');
  try {
    db.exec('CREATE TABLE charges (id INTEGER PRIMARY KEY)');
    db.pragma('query_only = ON');
    db.prepare('INSERT INTO charges DEFAULT VALUES').run();
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error('query_only let a write through');
}

function collectingLogger() {
  const lines = new PassThrough();
  let text = '';
  lines.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const logger = createLogger({ level: 'info', format: 'json', destination: lines });
  const entries = () => {
    logger.flush();
    return text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { logger, entries };
}

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

describe('HTTP', () => {
  it.each([
    ['a full disk', diskFull, 507, 'storage_full', /disk holding the database is full/],
    ['a read-only file system', readOnly, 503, 'storage_unwritable', /cannot be written/],
  ] as const)(
    'answers %s with %i %s, logs it for IT and counts it on /metrics',
    async (_what, make, status, code, detail) => {
      const counted = () => storageFaultCounts()[code];
      const before = counted();
      const failure = make();
      expect(counted()).toBe(before + 1);
      const fake = fakeServices();
      fake.services.circulation.checkout = async () => {
        throw failure;
      };
      const { logger, entries } = collectingLogger();
      api = await buildHttpApi({
        modules: FAMILY_API_MODULES,
        services: fake.services,
        logger,
        tokens: [],
        version: 'test',
      });
      const answer = await api.app.inject({
        method: 'POST',
        url: '/api/v1/checkouts',
        payload: { patron: '21000001', item: '31000004' },
      });
      expect(answer.statusCode).toBe(status);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json()).toMatchObject({ code, detail: expect.stringMatching(detail) });
      const logged = entries().find((entry) => entry.msg === 'request failed');
      expect(logged).toMatchObject({ level: 'error', code, reason: expect.stringMatching(detail) });
      expect(JSON.stringify(entries())).not.toContain('21000001');
      const metrics = await api.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain(`carrel_storage_faults_total{code="${code}"} ${before + 1}`);
    },
  );
});

describe('MQTT', () => {
  it('answers a full disk storage_full and logs it for IT', async () => {
    const failure = diskFull();
    const { logger, entries } = collectingLogger();
    const responses: OutgoingResponse[] = [];
    const dispatcher = new RequestDispatcher({
      topics: new CarrelTopics('main-library', 'desk-1'),
      actions: {
        'print.accounts.deposit': async () => {
          throw failure;
        },
      },
      logger,
      respond: (response) => responses.push(response),
    });
    dispatcher.accept({
      clientId: 'kiosk-1',
      action: 'print.accounts.deposit',
      payload: Buffer.from(JSON.stringify({ transaction: 't-1', data: { patron: '21000001' } })),
    });
    await expect.poll(() => responses.length).toBe(1);
    expect(responses[0]!.envelope).toMatchObject({
      status: 'error',
      error: { code: 'storage_full', message: expect.stringMatching(/disk holding the database is full/) },
      transaction: 't-1',
    });
    expect(entries().find((entry) => entry.msg === 'MQTT action failed')).toMatchObject({
      level: 'error',
      action: 'print.accounts.deposit',
      code: 'storage_full',
    });
  });
});
