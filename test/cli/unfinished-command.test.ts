/**
 * The CLI's entry (dist/) when a command waits on something that will never answer and nothing
 * else is left to keep Node running: Node ends the process, and without the entry's guard its
 * exit status was 0 with nothing said (carrel doctor once did this against a listener closing
 * each connection, through Node 20's fetch, whose only deadline was a timer that does not keep
 * the process alive). Here that wait is made on purpose, since no command is known to wait so any
 * more: a module loaded first (--import) makes every node:http request one that is never answered
 * and holds no socket, and every timer one that does not keep the process alive, as fetch's wait
 * was. `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { type CarrelRun, runCarrel } from '../helpers/carrel-cli.js';

const NEVER_ANSWERED = `
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
http.request = () => Object.assign(new EventEmitter(), { end() {}, destroy() {}, setHeader() {} });
syncBuiltinESMExports();
const setTimer = globalThis.setTimeout;
globalThis.setTimeout = (...args) => setTimer(...args).unref();
`;

let dir: string;
let listener: Server;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-unfinished-'));
  writeFileSync(join(dir, 'never-answered.mjs'), NEVER_ANSWERED);
  // Something on the desk's HTTP port, so that doctor asks it whether it is Carrel.
  listener = createServer((connection) => connection.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<CarrelRun> {
  return runCarrel(args, {
    cwd: dir,
    env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' },
    nodeArgs: ['--import', join(dir, 'never-answered.mjs')],
  });
}

describe('a carrel command left waiting on an answer that can no longer come', () => {
  it('says it stopped before it finished and exits 1, never 0 with nothing said', async () => {
    const file = join(dir, 'desk.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: defaultDeskConfig().version,
        site: 'library',
        gateway: 'desk-3',
        http: { host: '127.0.0.1', port },
        storage: { path: join(dir, 'state', 'carrel.db') },
        mqtt: { mode: 'off' },
        devices: [],
      }),
    );
    const doctor = await run(['doctor', '--config', file, '--json', '--timeout', '600']);
    expect(doctor.stdout).toBe('');
    expect(doctor.stderr).toBe(
      'carrel doctor: stopped before it finished: it was left waiting for an answer that can no longer come. This is a fault in Carrel; please report it with the command you ran\n',
    );
    expect(doctor.code).toBe(1);
  }, 30_000);

  it('a command that finishes keeps its own exit status and says nothing more', async () => {
    const check = await run(['config', 'check', join(dir, 'no-such-file.json')]);
    expect(check.stderr).not.toContain('stopped before it finished');
    expect(check.code).toBe(2);
  }, 30_000);
});
