import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { createLogger } from '../../src/core/logger.js';
import { decodePng, encodePng } from '../../src/core/png.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk, withTokens } from '../helpers/desk.js';

const skip = chromiumSkipReason();
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const STAFF = 'staff-token-0123456789abcdef';
const PATRON = '21000002';

/** A small portrait photo file: a face-coloured oval on green. */
function photoFile(): Buffer {
  const [width, height] = [120, 150];
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = ((x - 60) / 40) ** 2 + ((y - 70) / 50) ** 2 < 1;
      rgba.set(inside ? [225, 185, 150, 255] : [40, 150, 90, 255], (y * width + x) * 4);
    }
  return encodePng(rgba, width, height);
}

/**
 * The camera's tracks still live: those of the stream on the page's video now and of every stream
 * it showed before (remembered on the page), so a video merely emptied with its camera still on
 * counts.
 */
function liveVideoTracks(page: Page): Promise<number> {
  // As a string: the tests are compiled without the DOM's types.
  return page.evaluate<number>(`(() => {
    const seen = (globalThis.cameraStreamsSeen ??= new Set());
    const stream = document.querySelector('video')?.srcObject;
    if (stream instanceof MediaStream) seen.add(stream);
    return [...seen].flatMap((s) => s.getTracks()).filter((t) => t.readyState !== 'ended').length;
  })()`);
}

/** Opens the card page once the simulated printer is online (the page reads it once, on load). */
async function openCardPage(page: Page, api: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto(`${api}/cards#token=${STAFF}`);
        await expect.poll(() => page.locator('#printer').textContent()).not.toBe('Card printer…');
        return page.locator('#printer').textContent();
      },
      { timeout: 15_000, interval: 200 },
    )
    .toBe('cards-1: online');
}

async function previewFront(page: Page): Promise<Uint8Array> {
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect
    .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
    .toBe('Preview ready.');
  const src = await page.locator('#front').getAttribute('src');
  return decodePng(Buffer.from(src!.split(',')[1]!, 'base64')).rgba;
}

/**
 * The card page's "Take photo" in Debian's Chromium with its synthetic webcam, against the
 * simulated desk: the framed picture is taken as a 4:5 JPEG (the card's photo frame), uploaded as
 * a chosen file is, previewed and printed — the printed card is the preview — and the camera is
 * put away (every track ended) after Capture and after Cancel. Refused, the page says so and a
 * file still does.
 */
describe.skipIf(skip !== undefined)(
  'the card desk page takes the photo with the desk webcam',
  { timeout: 90_000 },
  () => {
    let testDesk: TestDesk;
    let log = '';
    let browser: Browser;
    let context: BrowserContext | undefined;
    const sim = () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

    beforeAll(async () => {
      mkdirSync(OUTPUT, { recursive: true });
      const lines = new PassThrough();
      lines.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
      });
      // One Chromium with the synthetic webcam for both tests, started while the desk starts: whether
      // the page may use the camera is each test's context's permission (granted, or none: refused).
      const launching = launchChromium({ fakeCamera: 'asked' });
      launching.catch(() => {}); // its failure is reported below, once the desk's is
      try {
        testDesk = await startTestDesk(
          (config) => withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }]),
          createLogger({ level: 'debug', format: 'json', destination: lines }),
        );
      } finally {
        // Kept whatever the desk did, so that afterAll closes it.
        const launched = await launching.catch(() => undefined);
        if (launched) browser = launched;
      }
      browser = await launching; // a Chromium that did not start fails the block with its reason
    }, 60_000);

    afterEach(async () => {
      // The page of a test is closed with it, the camera with it: none runs on beside the next.
      await context?.close();
      context = undefined;
    });

    afterAll(async () => {
      await browser?.close();
      await testDesk?.stop();
    });

    async function newPage(camera: 'granted' | 'refused') {
      context = await browser.newContext({
        viewport: { width: 1280, height: 1100 },
        permissions: camera === 'granted' ? ['camera'] : [],
      });
      const page = await context.newPage();
      const consoleLines: string[] = [];
      const pageErrors: string[] = [];
      page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return { page, consoleLines, pageErrors };
    }

    it('takes the photo, previews and prints the card with it, and puts the camera away', async () => {
      const { page, consoleLines, pageErrors } = await newPage('granted');
      await openCardPage(page, testDesk.api);
      await page.getByLabel('Patron barcode').fill(PATRON);
      const withoutPhoto = await previewFront(page);

      await page.getByRole('button', { name: 'Take photo' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Camera on: the patron’s face in the oval, then Capture.');
      expect(await liveVideoTracks(page)).toBe(1);
      // Opening the camera changes nothing yet: the preview without a photo still allows a print.
      expect(await page.getByRole('button', { name: 'Print card' }).isDisabled()).toBe(false);
      await page.screenshot({ path: join(OUTPUT, 'card-page-camera-live.png') });

      const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/cards/photos'));
      await page.getByRole('button', { name: 'Capture' }).click();
      const response = await uploaded;
      expect(response.status()).toBe(201);
      expect(response.request().headers()['content-type']).toBe('image/jpeg');
      const taken = (await response.json()) as { photoId: string; width: number; height: number };
      expect(taken.width * 5).toBe(taken.height * 4);
      expect(taken.width).toBeLessThanOrEqual(600);
      await expect.poll(() => page.locator('#progress').textContent()).toBe('Photo ready.');
      expect(await liveVideoTracks(page)).toBe(0);
      // A new photo: the preview before it (without one) no longer allows a print.
      expect(await page.getByRole('button', { name: 'Print card' }).isDisabled()).toBe(true);
      await page.screenshot({ path: join(OUTPUT, 'card-page-camera-taken.png') });

      const previewRequest = page.waitForRequest(
        (r) => r.url().endsWith('/api/v1/cards/preview') && r.postDataJSON()?.side === 'front',
      );
      const preview = await previewFront(page);
      expect((await previewRequest).postDataJSON()).toMatchObject({ patron: PATRON, photoId: taken.photoId });
      expect(Buffer.from(preview).equals(Buffer.from(withoutPhoto))).toBe(false);

      const before = sim().cards().length;
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
        .toBe(`Card ${PATRON} issued (1 card used). Stripe read back and verified.`);
      const card = sim().cards()[before]!;
      expect(card).toMatchObject({ outcome: 'printed', tracks: { 2: PATRON } });
      const printed = decodePng(sim().cardPng(card.number, 'front')!);
      expect(Buffer.from(printed.rgba).equals(Buffer.from(preview))).toBe(true);

      // Retake opens the camera again; Cancel puts it away with the light off.
      await page.getByRole('button', { name: 'Retake' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Camera on: the patron’s face in the oval, then Capture.');
      expect(await liveVideoTracks(page)).toBe(1);
      await page.getByRole('button', { name: 'Cancel' }).click();
      expect(await liveVideoTracks(page)).toBe(0);
      expect(await page.locator('#camera').isHidden()).toBe(true);

      expect(page.url()).toBe(`${testDesk.api}/cards`);
      expect(consoleLines).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(log).not.toContain(taken.photoId);
    });

    it('says the camera cannot be used when it is refused, and a photo file still does', async () => {
      const { page, pageErrors } = await newPage('refused');
      await openCardPage(page, testDesk.api);
      await page.getByLabel('Patron barcode').fill(PATRON);
      await page.getByRole('button', { name: 'Take photo' }).click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
        .toBe(
          'The camera cannot be used: the browser was not allowed to use it — allow the camera for this page, or upload a photo file',
        );
      expect(await page.locator('#camera').isHidden()).toBe(true);
      expect(await liveVideoTracks(page)).toBe(0);
      await page.screenshot({ path: join(OUTPUT, 'card-page-camera-refused.png') });

      const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/cards/photos'));
      await page
        .getByLabel('Photo')
        .setInputFiles({ name: 'patron.png', mimeType: 'image/png', buffer: photoFile() });
      const { photoId } = (await (await uploaded).json()) as { photoId: string };
      await expect.poll(() => page.locator('#progress').textContent()).toBe('Photo ready.');
      expect(await page.locator('#problem').isHidden()).toBe(true);
      const previewRequest = page.waitForRequest(
        (r) => r.url().endsWith('/api/v1/cards/preview') && r.postDataJSON()?.side === 'front',
      );
      await previewFront(page);
      expect((await previewRequest).postDataJSON()).toMatchObject({ photoId });
      expect(pageErrors).toEqual([]);
    });
  },
);
