import { mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../simulators/common/pty-pair.js';
import { SerialFarEnd } from './serial-far-end.js';

describe('createPtyPair', () => {
  let pair: PtyPair | undefined;
  const ends: SerialFarEnd[] = [];
  afterEach(async () => {
    for (const end of ends.splice(0)) await end.close();
    await pair?.close();
    pair = undefined;
  });

  it('links two ptys that carry bytes both ways', async () => {
    pair = await createPtyPair();
    expect(path.basename(pair.hostPath)).toBe('a');
    expect(path.basename(pair.devicePath)).toBe('b');
    expect(await readlink(pair.hostPath)).toMatch(/^\/dev\/pts\/\d+$/);
    expect(await readlink(pair.devicePath)).toMatch(/^\/dev\/pts\/\d+$/);

    const host = await SerialFarEnd.open(pair.hostPath);
    const device = await SerialFarEnd.open(pair.devicePath);
    ends.push(host, device);
    await host.send(Buffer.from('ping'));
    expect((await device.take(4)).toString()).toBe('ping');
    await device.send(Buffer.from([0x00, 0xff, 0x0a, 0x0d]));
    expect([...(await host.take(4))]).toEqual([0x00, 0xff, 0x0a, 0x0d]);
  });

  it('stops socat and removes its folder on close, and close is idempotent', async () => {
    pair = await createPtyPair();
    const { hostPath } = pair;
    await pair.close();
    await expect(stat(path.dirname(hostPath))).rejects.toMatchObject({ code: 'ENOENT' });
    await pair.close();
  });

  it('makes its links in a folder the caller names, and leaves the folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'carrel-pty-test-'));
    try {
      pair = await createPtyPair({ dir });
      expect(pair.hostPath).toBe(path.join(dir, 'a'));
      expect(pair.devicePath).toBe(path.join(dir, 'b'));
      await pair.close();
      expect((await stat(dir)).isDirectory()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says to install Debian's socat when it is missing", async () => {
    await expect(createPtyPair({ socatPath: '/nonexistent/socat' })).rejects.toMatchObject({
      code: 'socat_missing',
      message: "socat is not installed: install Debian's socat",
    });
  });
});
