/**
 * Backpressure, measured rather than timed: a client that pipelines megabytes of
 * requests and reads none of the answers makes the simulator stop reading its
 * connection (bytes read stop growing, far below what was sent), with every
 * per-connection buffer bounded; once the client reads, every request is answered.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { MAX_WRITE_BUFFER } from '../../../simulators/ils/session.js';
import { frameOf } from '../../helpers/sip2-oversized.js';
import { SAMPLE_FIXTURE } from './paths.js';

let simulator: IlsSimulator | undefined;

afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

/** Resolves with the simulator's bytes read once they have not grown for `quietChecks` checks in a row. */
async function bytesReadSettled(sim: IlsSimulator, quietChecks = 10, ms = 20_000): Promise<number> {
  const deadline = performance.now() + ms;
  let last = -1;
  let quiet = 0;
  while (quiet < quietChecks) {
    if (performance.now() > deadline) throw new Error('the simulator never stopped reading');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const read = sim.connectionStates()[0]?.bytesRead ?? -1;
    if (read === last) quiet++;
    else {
      quiet = 0;
      last = read;
    }
  }
  return last;
}

describe('ILS simulator backpressure', () => {
  it('stops reading a client that does not read its answers, then answers every request', {
    timeout: 60_000,
  }, async () => {
    simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE });
    const socket = connect({ host: '127.0.0.1', port: simulator.port });
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(frameOf('9300CNkiosk1|COkiosk1pw|CPMAIN|', 0));
    expect(String((await once(socket, 'data'))[0])).toMatch(/^941/);
    socket.pause();

    // 100,000 status requests (2 MB) in one write, none of the answers read.
    const requests = 100_000;
    const pipeline = Buffer.concat(Array.from({ length: requests }, (_, i) => frameOf('9900302.00', i % 10)));
    socket.write(pipeline);
    const read = await bytesReadSettled(simulator);
    const [state] = simulator.connectionStates();
    expect(state?.reading).toBe(false);
    expect(read).toBeLessThan(pipeline.length);
    expect(state?.writeBuffered).toBeLessThanOrEqual(MAX_WRITE_BUFFER);
    // At most one read's worth of frames waits (a socket read is at most 64 KiB; a request here is 20 bytes).
    expect(state?.pendingRequests).toBeLessThanOrEqual(64 * 1024);

    // The client reads: every request is answered, in order.
    let answers = 0;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 13) answers++;
      tail = (tail + chunk.toString('latin1')).slice(-64);
    });
    socket.resume();
    const deadline = performance.now() + 50_000;
    while (answers < requests) {
      if (performance.now() > deadline) throw new Error(`only ${answers} of ${requests} answered`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(answers).toBe(requests);
    expect(tail).toMatch(/AY9AZ[0-9A-F]{4}\r$/);
    socket.destroy();
  });
});
