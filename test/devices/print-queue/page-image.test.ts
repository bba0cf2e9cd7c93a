import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { samplePdf } from '../../../simulators/print-server/sample-document.js';
import { ManualClock } from '../../../src/core/clock.js';
import { tempFolders } from '../../helpers/temp-folders.js';

type PageImageModule = typeof import('../../../src/devices/print-queue/page-image.js');

/** How long, in wall time, a render that should still be running is watched. */
const WATCHED_MS = 400;
const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then((value) => ({ settled: true as const, value })),
    new Promise<{ settled: false }>((resolve) => setTimeout(() => resolve({ settled: false }), ms)),
  ]);

/**
 * The thumbnail's deadline runs on the desk's clock, as the rest of the device code's timers do: a
 * pdftoppm that hangs (here a real process that never answers, named by PDFTOPPM_PATH as the real
 * one is) is given up when the clock reaches the deadline, not before and not by the wall's time.
 */
describe('a page image’s deadline', () => {
  let hung: PageImageModule;
  const saved = process.env.PDFTOPPM_PATH;
  const tempFolder = tempFolders('carrel-pdftoppm-');

  beforeAll(async () => {
    const dir = tempFolder();
    const script = join(dir, 'pdftoppm');
    writeFileSync(script, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(script, 0o755);
    process.env.PDFTOPPM_PATH = script;
    vi.resetModules();
    hung = await import('../../../src/devices/print-queue/page-image.js');
    if (saved === undefined) delete process.env.PDFTOPPM_PATH;
    else process.env.PDFTOPPM_PATH = saved;
    vi.resetModules();
  });

  afterAll(() => {
    vi.resetModules();
  });

  it('waits for a hung render past its timeout of wall time, and gives it up when the desk’s clock reaches it', async () => {
    const clock = new ManualClock();
    const image = hung.pageImage(samplePdf({ pages: 1 }), { clock, timeoutMs: 100 });
    // Four timeouts of wall time: the desk's clock has not moved, the render is still waited for.
    expect((await settledWithin(image, WATCHED_MS)).settled).toBe(false);
    await clock.advance(99);
    expect((await settledWithin(image, 50)).settled).toBe(false);
    await clock.advance(1);
    expect(await settledWithin(image, 1000)).toEqual({ settled: true, value: undefined });
    expect(clock.pending()).toEqual([]);
  });

  it.skipIf(!existsSync(process.env.PDFTOPPM_PATH ?? '/usr/bin/pdftoppm'))(
    'draws a page with the real pdftoppm before the clock moves, its timer cancelled',
    async () => {
      const { pageImage } = await import('../../../src/devices/print-queue/page-image.js');
      const clock = new ManualClock();
      const image = await pageImage(samplePdf({ pages: 2 }), { clock, page: 2, size: 120 });
      expect(image?.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(clock.pending()).toEqual([]);
    },
  );
});
