/**
 * A gate alarm whose title lookup was still waiting for the library system when Carrel was
 * restarted: `carrel start` as a child process with the simulated gate in it (walked through its
 * control API), the ILS simulator in this process hung through its faults so that the lookup is
 * under way, the daemon stopped by SIGTERM as systemd stops it, and started again on the same
 * database. The history, and the gate page reading it in Chromium, say the lookup was cut by the
 * restart and what to do, where they said nothing ('the library system did not say').
 * The daemon runs the compiled code in dist/: `npm run build` first.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import {
  type CarrelDaemon,
  type RestartableCarrel,
  restartableCarrel,
  simulatedIlsDevice,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping the page part: ${skip}`);

const ITEM = '31000004';
let ils: IlsSimulator;
let carrel: RestartableCarrel | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  carrel = restartableCarrel('carrel-gate-lookup-restart-', (dir) =>
    writeDaemonConfig(dir, 'gate-restart', {
      offline: { enabled: false },
      // The gate is online from its first frame, a keep-alive every 5 s by default: waited for 5 s
      // before anything was walked. Every 0.2 s (the simulator takes fractions), it is there at once.
      simulators: [{ id: 'gate-sim', kind: 'gate', dials: 'exit-1', keepAliveSeconds: 0.2 }],
      devices: [
        // The ILS may take 20 s to answer: the lookup is still waiting when the daemon is stopped.
        { ...simulatedIlsDevice(ils.port), requestTimeoutMs: 20_000 },
        {
          id: 'exit-1',
          kind: 'gate',
          name: 'Main exit',
          driver: 'feig-notification',
          listen: { host: '127.0.0.1', port: 0 },
          address: '127.0.0.1',
          transport: { type: 'simulator', simulator: 'gate-sim' },
          directionByAntenna: { in: [1], out: [2] },
        },
      ],
    }),
  );
  if (!skip) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await carrel?.close();
  ils?.setFaults({});
  await ils?.close();
});

async function get(api: string, route: string) {
  const response = await fetch(`${api}/api/v1${route}`);
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return (await response.json()) as any;
}

/** The simulated gate's control API, as the daemon's banner lists it. */
function gateControl(running: CarrelDaemon): string {
  const url = running.simulators.get('gate-sim');
  if (!url) throw new Error(`no gate simulator in the banner: ${[...running.simulators.keys()].join(', ')}`);
  return url;
}

describe('a gate alarm whose title lookup a restart of Carrel cut', () => {
  it('says the lookup was cut by the restart and to look the item up, in the history and on the gate page', async () => {
    const daemon = await carrel!.start();
    const { api } = daemon;
    await until(
      async () => ((await get(api, '/devices/exit-1')).status === 'online' ? true : undefined),
      20_000,
    );
    await until(
      async () => ((await get(api, '/devices/ils')).status === 'online' ? true : undefined),
      20_000,
    );

    ils.setFaults({ hang: true });
    const walked = await fetch(`${gateControl(daemon)}/api/passages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ direction: 'out', items: [ITEM] }),
    });
    expect(walked.ok).toBe(true);
    const alarm = await until(async () => {
      const { alarms } = await get(api, '/gates/alarms');
      return alarms.find((a: { item: string | null }) => a.item === ITEM);
    }, 10_000);
    // Asked, not answered: the lookup is under way.
    expect(alarm.lookup).toBeNull();

    await carrel!.stop();
    ils.setFaults({});
    const again = (await carrel!.start()).api;
    const kept = (await get(again, '/gates/alarms')).alarms.find((a: { id: string }) => a.id === alarm.id);
    // It stayed null, as if still running, for good: the page said 'Title not found · the library
    // system did not say'.
    expect(kept.lookup).toEqual({
      answered: false,
      reason: 'interrupted',
      message:
        'Carrel was restarted before the library system answered about the item: look the item up there',
    });

    if (!browser) return;
    const page = await browser.newPage();
    try {
      await page.goto(`${again}/gates`);
      const row = page.locator('#open [data-alarm]').filter({ hasText: ITEM });
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator('.title').textContent(), { timeout: 5000 }).toBe('Title not known');
      const meta = await row.locator('.meta').textContent();
      expect(meta).toContain(
        'Carrel was restarted before the library system answered about the item: look the item up there',
      );
      expect(meta).not.toContain('the library system did not say');
    } finally {
      await page.close();
    }
  }, 120_000);
});
