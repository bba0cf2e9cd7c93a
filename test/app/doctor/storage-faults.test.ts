/**
 * Doctor's reading of a running desk's refused database writes (its /metrics), served here by a
 * listener that answers as the desk's /metrics does: refused writes the desk has written its
 * database since are over (a warning, and why it happened is still worth finding out).
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkStorageFaults } from '../../../src/app/doctor/storage-faults.js';
import { tempFolders } from '../../helpers/temp-folders.js';

const folder = tempFolders('carrel-doctor-faults-');
let server: Server | undefined;
afterEach(() => server?.close());

async function metricsAt(body: string): Promise<string> {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const FAULTS = (full: number, at: number) => `# HELP carrel_storage_faults_total …
# TYPE carrel_storage_faults_total counter
carrel_storage_faults_total{code="storage_full"} ${full}
carrel_storage_faults_total{code="storage_unwritable"} 0
# HELP carrel_storage_last_fault_timestamp_seconds …
# TYPE carrel_storage_last_fault_timestamp_seconds gauge
carrel_storage_last_fault_timestamp_seconds{code="storage_full"} ${at / 1000}
`;

describe("doctor's database writes check", () => {
  it('passes a desk that has had no write refused', async () => {
    const url = await metricsAt(FAULTS(0, 0).replace(/^carrel_storage_last.*\n/m, ''));
    const check = await checkStorageFaults({ url, ready: true, checks: [] }, undefined, 5000, 'none.db');
    expect(check).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/no database write refused/),
    });
  });

  it('warns, not fails, of writes refused before the desk wrote its database again', async () => {
    const now = Date.now();
    const database = join(folder(), 'carrel.db');
    writeFileSync(database, '');
    utimesSync(database, new Date(now - 60_000), new Date(now - 60_000));
    const url = await metricsAt(FAULTS(3, now - 300_000));
    const check = await checkStorageFaults({ url, ready: true, checks: [] }, undefined, 5000, database, now);
    expect(check).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /had 3 database writes refused since it started: 3 because the disk was full \(storage_full\), the last 5 min ago; it has written to its database since \(60 s ago\), so it can write again/,
      ),
      hint: expect.stringMatching(/^find out why it happened.*make room on the disk/),
    });
  });
});
