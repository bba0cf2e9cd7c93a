import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATE_ALARM_MIGRATIONS } from '../../src/gateway/families/gate/alarm-history.js';
import { migrate, openDatabase } from '../../src/gateway/storage/index.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { alarmRecordsInMemory } from '../helpers/page-memory.js';
import { tempFolders } from '../helpers/temp-folders.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/**
 * The gate alarm page over a long backlog, in Debian's Chromium: 1,000 alarms waiting in the
 * desk's history (a gate that alarmed all weekend, nobody at the desk). The page shows the newest
 * 100 and says how many more wait, keeping no more than a bounded number of them in its memory
 * however many wait; as staff acknowledge those shown, the older ones move up — read from Carrel
 * once those it kept run low — and the count goes down by one each.
 */
const tempFolder = tempFolders('carrel-gate-backlog-');
const WAITING = 1000;
const SHOWN = 100;
const STARTED = Date.now() - 3_600_000;
/** The n-th alarm's id (0 the oldest). */
const alarmId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function databaseWithBacklog(): string {
  const path = join(tempFolder(), 'carrel.db');
  const db = openDatabase(path);
  try {
    migrate(db, 'gate-alarms', GATE_ALARM_MIGRATIONS);
    const insert = db.prepare(
      `INSERT INTO gate_alarms (id, gate, at, direction, item, uid, title, reason, ils, lookup)
       VALUES (?, 'exit-1', ?, 'out', ?, ?, ?, 'reported', NULL, 'known')`,
    );
    for (let n = 0; n < WAITING; n++)
      insert.run(
        alarmId(n),
        STARTED + n * 1000,
        `${31_200_000 + n}`,
        `E0040100${String(n).padStart(8, '0')}`,
        `Book ${n}`,
      );
  } finally {
    db.close();
  }
  return path;
}

describe.skipIf(skip !== undefined)('the gate alarm page over a backlog of waiting alarms', () => {
  const chromium = deskInChromium(
    (config) => ({ ...config, storage: { ...config.storage, path: databaseWithBacklog() } }),
    {
      ready: (testDesk) => waitForDevice(testDesk.api, 'exit-1', 'online', 15_000),
      consoleError: (text) => /Content.Security.Policy|error/i.test(text),
    },
  );

  it('keeps a bounded number in memory, counts the rest, and moves older ones up from Carrel as those shown are acknowledged', async () => {
    const page = await chromium.openPage('/healthz', { viewport: { width: 1280, height: 900 } });
    // Carrel's word of an acknowledgement reaches the page a little after the answer to it (a busy
    // desk PC, a slow Wi-Fi): the event WebSocket's acknowledgements held back half a second.
    const handedLate: string[] = [];
    await page.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      const server = socket.connectToServer();
      server.onMessage((message) => {
        if (typeof message === 'string' && message.includes('gate.alarm_acknowledged'))
          setTimeout(() => {
            socket.send(message);
            handedLate.push(message);
          }, 500);
        else socket.send(message);
      });
    });
    await page.goto(`${chromium.testDesk.api}/gates`);
    await expect.poll(() => page.locator('#link').textContent(), { timeout: 15_000 }).toBe('Live');
    await expect.poll(() => page.locator('#open > li').count()).toBe(SHOWN);
    expect(await page.locator('#open > li').first().getAttribute('data-alarm')).toBe(alarmId(WAITING - 1));
    expect(await page.locator('#open-more').textContent()).toContain(
      `${WAITING - SHOWN} more alarms waiting`,
    );
    // Those shown and a reserve to move up; not all 1,000.
    expect(await alarmRecordsInMemory(page, '00000000-0000-4000-8000-')).toBeLessThanOrEqual(3 * SHOWN);

    // Staff acknowledge the 150 newest (at this desk PC or another): more than the page kept
    // beside those shown, so the next ones come from Carrel.
    const acknowledged = 150;
    for (let n = WAITING - 1; n >= WAITING - acknowledged; n--) {
      const response = await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms/${alarmId(n)}/ack`, {
        method: 'POST',
      });
      expect(response.status).toBe(200);
    }
    const nextNewest = alarmId(WAITING - acknowledged - 1);
    await expect
      .poll(() => page.locator('#open > li').first().getAttribute('data-alarm'), { timeout: 10_000 })
      .toBe(nextNewest);
    await expect.poll(() => page.locator('#open > li').count()).toBe(SHOWN);
    // The oldest shown is one the page had not kept at first: read from Carrel.
    expect(await page.locator('#open > li').last().getAttribute('data-alarm')).toBe(
      alarmId(WAITING - acknowledged - SHOWN),
    );
    await expect
      .poll(() => page.locator('#open-more').textContent())
      .toContain(`${WAITING - acknowledged - SHOWN} more alarms waiting`);
    expect(await alarmRecordsInMemory(page, '00000000-0000-4000-8000-')).toBeLessThanOrEqual(4 * SHOWN);

    // Acknowledged on this page: one alarm fewer waiting, said once — Carrel's word of it coming
    // back on the event WebSocket (after the page let go of the alarm, older than the 100 newest
    // acknowledged it keeps) is not taken for another one.
    const pressed = alarmId(WAITING - acknowledged - 1);
    await page.locator(`#open [data-alarm="${pressed}"] .ack`).click();
    await page.locator(`#open [data-alarm="${pressed}"]`).waitFor({ state: 'detached' });
    // Carrel's word of it, held back half a second, handed to the page: what the page shows from
    // now on has taken it.
    await expect
      .poll(() => handedLate.some((message) => message.includes(pressed)), { timeout: 5000 })
      .toBe(true);
    expect(await page.locator('#open > li').count()).toBe(SHOWN);
    expect(await page.locator('#open-more').textContent()).toContain(
      `${WAITING - acknowledged - 1 - SHOWN} more alarms waiting`,
    );
  }, 120_000);
});
