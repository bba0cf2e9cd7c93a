import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { ManualClock } from '../../../src/core/clock.js';
import { TransportClosedError } from '../../../src/core/errors.js';
import { LpTransport, lpError } from '../../../src/devices/transport/lp.js';
import { ByteCollector, patternBytes } from '../../helpers/byte-collector.js';
import { SerialFarEnd } from '../../helpers/serial-far-end.js';
import { transportContract } from './contract.js';

// A pty stands in for /dev/usb/lp0: a character device, opened the same way.
transportContract('LpTransport over a pty', async () => {
  const pair = await createPtyPair();
  const far = await SerialFarEnd.open(pair.devicePath);
  return {
    transport: new LpTransport({ path: pair.hostPath }),
    connected: async () => far,
    drop: () => pair.close(),
    goneAfterDrop: true,
    unreachable: () => new LpTransport({ path: `${pair.hostPath}-missing` }),
    cleanup: async () => {
      await far.close();
      await pair.close();
    },
  };
});

describe('LpTransport', () => {
  let pair: PtyPair | undefined;
  let far: SerialFarEnd | undefined;
  afterEach(async () => {
    await far?.close();
    await pair?.close();
    far = undefined;
    pair = undefined;
  });

  it('reads status bytes only when its named poll timer fires, and cancels it on close', async () => {
    pair = await createPtyPair();
    far = await SerialFarEnd.open(pair.devicePath);
    const clock = new ManualClock();
    const transport = new LpTransport({ path: pair.hostPath, clock, pollIntervalMs: 100 });
    const received = new ByteCollector();
    transport.on('data', received.push);
    await transport.open();
    expect(clock.pending()).toEqual([`lp-read-poll ${pair.hostPath}`]);

    // The printer answers a DLE EOT 1 query: paper OK, online.
    await transport.write(Buffer.from([0x10, 0x04, 0x01]));
    expect([...(await far.take(3))]).toEqual([0x10, 0x04, 0x01]);
    await far.send(Buffer.from([0x16]));
    let answer: Buffer | undefined;
    void received.take(1).then((bytes) => {
      answer = bytes;
    });
    // socat hands the byte across in its own time: let the poll fire until it is there.
    while (!answer) {
      await clock.advance(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect([...answer]).toEqual([0x16]);

    await transport.close();
    expect(clock.pending()).toEqual([]);
  });

  it('finishes a write larger than every buffer once the printer reads', async () => {
    pair = await createPtyPair();
    // The printer is there but not reading yet: the pty's and socat's buffers fill.
    far = await SerialFarEnd.open(pair.devicePath);
    far.pause();
    const transport = new LpTransport({ path: pair.hostPath });
    await transport.open();
    try {
      const job = patternBytes(1024 * 1024, 7);
      let finished = false;
      const writing = transport.write(job).then(() => {
        finished = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(finished).toBe(false);
      far.resume();
      expect((await far.take(job.length)).equals(job)).toBe(true);
      await writing;
    } finally {
      await transport.close();
    }
  });

  it('close() cancels a write waiting for a full printer buffer', async () => {
    pair = await createPtyPair();
    const transport = new LpTransport({ path: pair.hostPath });
    const closes: unknown[] = [];
    transport.on('close', (error) => closes.push(error));
    await transport.open();
    // Nobody reads the device side, so the buffers fill and the write waits.
    const writing = transport.write(patternBytes(4 * 1024 * 1024, 3)).catch((error: unknown) => error);
    await transport.close();
    expect(await writing).toBeInstanceOf(TransportClosedError);
    expect(closes).toEqual([undefined]);
  });

  it("refuses a regular file with 'not_a_device'", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'carrel-lp-'));
    try {
      const file = path.join(dir, 'lp0');
      await writeFile(file, '');
      await expect(new LpTransport({ path: file }).open()).rejects.toMatchObject({ code: 'not_a_device' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing printer as 'device_missing'", async () => {
    await expect(new LpTransport({ path: '/dev/usb/lp-carrel-none' }).open()).rejects.toMatchObject({
      code: 'device_missing',
    });
  });

  it('maps errno from the printer node to stable codes', () => {
    const where = 'lp:///dev/usb/lp0';
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(lpError(errno('EACCES'), where)).toMatchObject({
      code: 'permission_denied',
      message: expect.stringContaining('lp group'),
    });
    expect(lpError(errno('EBUSY'), where)).toMatchObject({ code: 'device_busy' });
    expect(lpError(errno('ENODEV'), where)).toMatchObject({ code: 'device_lost' });
    expect(lpError(errno('EIO'), where)).toMatchObject({ code: 'device_lost' });
  });
});
