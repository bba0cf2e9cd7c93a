/**
 * A TCP relay that does nothing else (pipe-relay.ts) in a process of its own.
 * The circulation benchmark puts it in front of the ILS simulator to read the
 * floor that any gateway in its own process pays on the machine — two more
 * socket writes and reads, two more process wake-ups — apart from what Carrel
 * itself does.
 *
 * `node bare-relay.js <target port>` prints `relay tcp://127.0.0.1:<port>`.
 */
import { startPipeRelay } from './pipe-relay.js';

const target = Number(process.argv[2]);
if (!Number.isInteger(target) || target <= 0 || target > 65535) {
  console.error('usage: bare-relay <target port>');
  process.exit(2);
}
const relay = await startPipeRelay(target);
console.log(`relay tcp://127.0.0.1:${relay.port}`);
process.once('SIGTERM', () => process.exit(0));
