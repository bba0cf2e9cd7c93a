/**
 * Run a test file with `npx vitest run --config test/helpers/ports-taken.config.ts <file>` to see
 * what a busy CI machine does to it now and then: every other port `freePort()` hands out (the
 * first, the third…) is taken by another listener before the caller binds it, as another test's
 * process did in CI. A test that binds a port it was told is free fails with EADDRINUSE; one that
 * lets the system give ports, or starts again on a fresh port, passes.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, vi } from 'vitest';

const held: Server[] = [];

vi.mock('./free-port.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./free-port.js')>();
  let handedOut = 0;
  return {
    ...real,
    async freePort(): Promise<number> {
      const port = await real.freePort();
      handedOut += 1;
      if (handedOut % 2 === 1) {
        const thief = createServer((socket) => socket.destroy());
        await new Promise<void>((resolve, reject) => {
          thief.once('error', reject);
          thief.listen(port, '127.0.0.1', resolve);
        });
        held.push(thief);
      }
      return port;
    },
  };
});

afterAll(async () => {
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
});
