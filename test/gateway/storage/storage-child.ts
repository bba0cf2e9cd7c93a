/**
 * The process the storage contract's crash tests SIGKILL. `npm run build`
 * compiles it with the gateway, and the test runs it from dist/test/.
 *
 *   node storage-child.js commit <db> <backend>
 *     commits rows 0, 1, 2… each in its own transaction, printing `committed <n>`
 *     after each commit returns;
 *   node storage-child.js hold <db> <backend>
 *     commits row 0 ('before'), then in one transaction changes it and inserts
 *     rows 1..100, prints `inside` and waits there until it is killed;
 *   node storage-child.js lock <db> <backend>
 *     takes the database's instance lock (as a starting Carrel does), prints
 *     `locked` and waits until it is killed.
 */

import { openDatabase, type StorageBackend, takeInstanceLock } from '../../../src/gateway/storage/index.js';
import { say } from '../../helpers/child-say.js';

const [mode, dbPath, backendName] = process.argv.slice(2);
const backend = backendName as StorageBackend | undefined;
if (mode === 'lock') {
  takeInstanceLock(dbPath!, backend);
  say('locked');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
const db = openDatabase(dbPath!, { backend });
db.exec('CREATE TABLE IF NOT EXISTS loans (n INTEGER PRIMARY KEY, note TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO loans (n, note) VALUES (?, ?)');

if (mode === 'commit') {
  for (let n = 0; ; n++) {
    db.transaction(() => insert.run(n, `loan ${n}`), 'immediate');
    say(`committed ${n}`);
  }
} else if (mode === 'hold') {
  insert.run(0, 'before');
  db.transaction(() => {
    db.prepare("UPDATE loans SET note = 'changed' WHERE n = 0").run();
    for (let n = 1; n <= 100; n++) insert.run(n, `loan ${n}`);
    say('inside');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }, 'immediate');
}
