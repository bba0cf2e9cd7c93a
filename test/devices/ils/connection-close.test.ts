/**
 * A close asked while an IlsConnection is still being opened: the ILS simulator over TLS, behind
 * a relay that holds the ILS's half of the handshake until the test lets it through, so the
 * close lands while the transport is opening and the open then completes underneath it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { IlsConnection, parseIlsConfig } from '../../../src/devices/ils/index.js';
import { TlsTransport } from '../../../src/devices/transport/tls.js';
import { untilReached } from '../../helpers/fake-clock-run.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The simulator's certificate (its own CA) and key, made once for the file. */
let pem: { cert: Buffer; key: Buffer };
let dir = '';

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'carrel-ils-close-'));
  makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
  pem = { cert: readFileSync(join(dir, 'localhost.pem')), key: readFileSync(join(dir, 'localhost.key')) };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The simulator over TLS, a relay holding what it says, and a connection to it through the relay. */
async function heldOpen(user: string | undefined) {
  const cert = pem.cert;
  const sim = await startIlsSimulator({ fixture: sampleFixturePath(), tls: pem });
  cleanups.push(() => sim.close());
  const relay = await holdingRelay(sim.port);
  const settings = parseIlsConfig({
    host: 'localhost',
    port: relay.port,
    user,
    password: 'kiosk1pw',
    location: 'MAIN',
    institution: 'RIVERSIDE',
  });
  const sent: string[] = [];
  const connection = new IlsConnection({
    transport: new TlsTransport({ host: '127.0.0.1', port: relay.port, ca: cert, serverName: 'localhost' }),
    settings,
    clock: systemClock,
    logger: silentLogger(),
    onFrame: (direction, frame) => {
      if (direction === 'sent') sent.push(Buffer.from(frame.subarray(0, 2)).toString('latin1'));
    },
  });
  const lost: Error[] = [];
  connection.on('lost', (error: Error) => lost.push(error));
  cleanups.push(() => connection.close());
  return { sim, relay, connection, sent, lost };
}

describe.skipIf(!hasOpenssl)('an ILS connection closed while it is being opened', () => {
  for (const user of ['kiosk1', undefined]) {
    it(`stays closed once its transport has opened, says so, and tells of no lost link (${user === undefined ? 'no login' : 'with a login'})`, async () => {
      const { relay, connection, sent, lost } = await heldOpen(user);
      const opening = connection.open().then(
        () => 'opened',
        (error: unknown) => error,
      );
      await untilReached(() => relay.holding(), 'the handshake held');
      const closed = connection.close();
      relay.release();
      const outcome = await opening;
      await closed;
      await untilReached(() => relay.open() === 0, 'the link closed at the ILS end');
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The open says it was closed; no login went out after the close, and the close was
      // ours: no link was lost.
      expect({ outcome, isOpen: connection.isOpen, sent, lost }).toMatchObject({
        outcome: {
          code: 'ils_connection_lost',
          message: expect.stringContaining('was closed while it was being opened'),
        },
        isOpen: false,
        sent: [],
        lost: [],
      });

      // Opened again afterwards, it opens, and a loss then is told.
      relay.passAll();
      await connection.open();
      expect(connection.isOpen).toBe(true);
      relay.dropAll();
      await untilReached(() => lost.length === 1, 'the loss told');
    });
  }
});

/**
 * A TCP relay to the simulator that passes what the desk sends and holds what the ILS sends
 * (the server's half of the TLS handshake) until release(), or passes all after passAll().
 */
async function holdingRelay(target: number) {
  const sockets = new Set<Socket>();
  let passing = false;
  const held: Array<{ desk: Socket; chunk: Buffer }> = [];
  const server = createServer((desk) => {
    const ils = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [desk, ils]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        desk.destroy();
        ils.destroy();
      });
    }
    desk.on('data', (chunk) => ils.write(chunk));
    ils.on('data', (chunk: Buffer) => {
      if (passing) desk.write(chunk);
      else held.push({ desk, chunk });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const release = () => {
    for (const { desk, chunk } of held.splice(0)) desk.write(chunk);
  };
  return {
    port: (server.address() as AddressInfo).port,
    holding: () => held.length > 0,
    /** Sockets open, the desk's and the relay's own to the ILS. */
    open: () => sockets.size,
    release,
    passAll: () => {
      passing = true;
      release();
    },
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
