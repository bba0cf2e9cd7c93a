/**
 * A page of a PDF as a small PNG, for the release station's thumbnail of page
 * one and the simulated printer's page: drawn by poppler's `pdftoppm` (Debian
 * poppler-utils) in a process of its own, which is killed after a deadline (a
 * named timer on the desk's clock) and whose output is capped. Without
 * pdftoppm there is no picture (undefined), never an error: a thumbnail is a
 * nicety.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';

export const PDFTOPPM_PATH = process.env.PDFTOPPM_PATH ?? '/usr/bin/pdftoppm';

export interface PageImageOptions {
  /** The desk's clock, whose timer `timeoutMs` is (a test's fake clock moves it by hand). */
  clock: Clock;
  /** 1-based page number. */
  page?: number;
  /** The longer side, in pixels (240). */
  size?: number;
  timeoutMs?: number;
  maxBytes?: number;
}

export function pageImagesAvailable(): boolean {
  return existsSync(PDFTOPPM_PATH);
}

/** A PNG of one page, or undefined when it cannot be drawn (no pdftoppm, a broken or locked PDF, too slow). */
export function pageImage(pdf: Uint8Array, options: PageImageOptions): Promise<Buffer | undefined> {
  if (!pageImagesAvailable()) return Promise.resolve(undefined);
  const page = String(Math.max(1, Math.floor(options.page ?? 1)));
  const size = String(options.size ?? 240);
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve) => {
    const child = spawn(
      PDFTOPPM_PATH,
      ['-f', page, '-l', page, '-png', '-scale-to', size, '-singlefile', '-q', '-'],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (image: Buffer | undefined) => {
      if (done) return;
      done = true;
      timer.cancel();
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(image);
    };
    const timer = options.clock.setTimeout(
      'page-image-deadline',
      () => finish(undefined),
      options.timeoutMs ?? 5000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish(undefined);
      else chunks.push(chunk);
    });
    child.on('error', () => finish(undefined));
    child.on('close', (code) => finish(code === 0 && bytes > 0 ? Buffer.concat(chunks) : undefined));
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(pdf));
  });
}
