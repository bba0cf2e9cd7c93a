/**
 * A TCP relay that does nothing else: every connection it accepts is piped,
 * byte for byte, to the target port on 127.0.0.1, and back. The circulation
 * benchmark puts it in front of the ILS simulator, in a process of its own, to
 * read the floor that any gateway in its own process pays on the machine —
 * two more socket writes and reads, two more process wake-ups — apart from
 * what Carrel itself does.
 *
 * `node bare-relay.js <target port>` prints `relay tcp://127.0.0.1:<port>`.
 */

import { connect, createServer, type Socket } from 'node:net';

function relay(target: number): void {
  const server = createServer((kiosk: Socket) => {
    kiosk.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: target });
    upstream.setNoDelay(true);
    kiosk.pipe(upstream);
    upstream.pipe(kiosk);
    kiosk.on('error', () => upstream.destroy());
    upstream.on('error', () => kiosk.destroy());
    kiosk.on('close', () => upstream.destroy());
    upstream.on('close', () => kiosk.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') console.log(`relay tcp://127.0.0.1:${address.port}`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

const target = Number(process.argv[2]);
if (!Number.isInteger(target) || target <= 0 || target > 65535) {
  console.error('usage: bare-relay <target port>');
  process.exit(2);
}
relay(target);
