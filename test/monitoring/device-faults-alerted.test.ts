import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { cashSimulators } from '../../simulators/cash/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { tempFolders } from '../helpers/temp-folders.js';
import { until } from '../helpers/until.js';

const RULES = join(import.meta.dirname, '..', '..', 'monitoring', 'prometheus', 'carrel-alerts.yml');

const promtool = spawnSync('promtool', ['--version']).status === 0;
const skipPromtool = !promtool && !process.env.CI;

/**
 * What the shipped alert rules fire for devices, at `minutes` after Prometheus started scraping
 * `text` (a desk's /metrics, held still) every minute: promtool evaluates the rules over its
 * samples that name a device and is asked which alerts are firing, by device.
 */
function firingFor(text: string, minutes: number, folder: string): Map<string, string[]> {
  const series = text
    .split('\n')
    .filter((line) => /^carrel_[a-z_]+\{[^}]*\bdevice="[^}]*\} [-+.e0-9]+$/.test(line))
    .map((line) => {
      const [, name, labels, value] = /^(carrel_[a-z_]+)\{([^}]*)\} (\S+)$/.exec(line)!;
      return {
        series: `${name}{job="carrel",instance="desk-1",${labels}}`,
        values: `${value}x${minutes + 5}`,
      };
    });
  const file = join(folder, 'scraped.test.yml');
  writeFileSync(
    file,
    JSON.stringify({
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          promql_expr_test: [
            {
              // Never matched: promtool then prints what the expression gave.
              expr: 'count by (alertname, device) (ALERTS{alertstate="firing"})',
              eval_time: `${minutes}m`,
              exp_samples: [{ labels: '{alertname="none"}', value: 0 }],
            },
          ],
        },
      ],
    }),
  );
  const result = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
  const output = result.stdout + result.stderr;
  const got = output.slice(output.indexOf('got:'));
  if (!output.includes('got:')) throw new Error(`promtool said: ${output}`);
  const firing = new Map<string, string[]>();
  for (const [, labels] of got.matchAll(/\{([^}]*)\} \S+/g)) {
    const alert = /alertname="([^"]+)"/.exec(labels!)?.[1] ?? '?';
    const device = /device="([^"]+)"/.exec(labels!)?.[1] ?? '(desk)';
    firing.set(device, [...(firing.get(device) ?? []), alert]);
  }
  return firing;
}

describe.skipIf(skipPromtool)(
  'a device not fit for work, by the alert rules over what a desk exports',
  () => {
    let desk: TestDesk;
    const folder = tempFolders('carrel-alerts-');
    beforeAll(async () => {
      // What the desk exports of a fault is read sooner, not differently: the gate's keep-alive
      // timeout is 3 s, not the default 15 s (its simulator's keep-alives every 0.5 s), and the
      // card printer's status is asked every 0.5 s, not 2 s. "A gate gone silent" below is the
      // same degraded gate 12 s sooner, and each card printer test waits a poll of 0.5 s, not 2 s.
      desk = await startTestDesk((config) => ({
        ...config,
        simulators: config.simulators.map((simulator) =>
          simulator.kind === 'gate' ? { ...simulator, keepAliveSeconds: 0.5 } : simulator,
        ),
        devices: config.devices.map((device) =>
          device.kind === 'gate'
            ? { ...device, keepAliveTimeoutSeconds: 3 }
            : device.kind === 'card-printer'
              ? { ...device, statusIntervalMs: 500 }
              : device,
        ),
      }));
      for (const device of ['cards-1', 'coins-1', 'notes-1', 'public-bw', 'exit-1'])
        await waitForDevice(desk.api, device, 'online');
    }, 30_000);
    afterAll(async () => {
      await desk?.stop();
    });

    const scrape = async () => (await fetch(`${desk.api}/metrics`)).text();

    it('fires for none of them on a desk where all is well', async () => {
      expect(firingFor(await scrape(), 20, folder())).toEqual(new Map());
    });

    it('fires for a card printer due for cleaning, which prints on: no degraded alert tells of it', async () => {
      const model = desk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!
        .model as EvolisModel;
      const cleaningDue = async () => {
        const printer = (await (await fetch(`${desk.api}/api/v1/devices/cards-1`)).json()) as {
          status: string;
          detail: { cleaningDue: boolean };
        };
        return printer.status === 'online' ? printer.detail.cleaningDue : undefined;
      };
      model.cardsSinceCleaning = model.cleaningInterval;
      await until(async () => (await cleaningDue()) || undefined);
      expect(firingFor(await scrape(), 20, folder())).toEqual(
        new Map([['cards-1', ['CarrelCardPrinterCleaningDue']]]),
      );
      model.clean();
      await until(async () => ((await cleaningDue()) === false ? true : undefined));
    });

    it('fires for a card printer whose ribbon runs low, before it runs out', async () => {
      const model = desk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!
        .model as EvolisModel;
      model.ribbonPanels = 20;
      await until(async () => {
        const printer = (await (await fetch(`${desk.api}/api/v1/devices/cards-1`)).json()) as {
          detail: { ribbon: { low: boolean } };
        };
        return printer.detail.ribbon.low || undefined;
      });
      const firing = firingFor(await scrape(), 20, folder());
      expect(firing).toEqual(new Map([['cards-1', ['CarrelCardPrinterRibbonLow']]]));
    });

    it('fires for a card printer out of ribbon, a full cash box, a jammed coin acceptor, a stopped print queue and a gate gone silent', async () => {
      const simulators = desk.desk.simulators;
      (simulators.handle(cardPrinterSimulators, 'card-printer-sim')!.model as EvolisModel).ribbonPanels = 0;
      const cash = simulators.handle(cashSimulators, 'cash-sim')!;
      cash.billValidator!.setStacker('full');
      cash.coinAcceptor!.setJammed(true);
      simulators.handle(printServerSimulators, 'print-server')!.setFaults({ stopped: true });
      simulators.handle(gateSimulators, 'gate-sim')!.setFaults({ keepAlivesStop: true });
      for (const device of ['cards-1', 'coins-1', 'notes-1', 'public-bw', 'exit-1'])
        await waitForDevice(desk.api, device, 'degraded', 25_000);

      const text = await scrape();
      const firing = firingFor(text, 20, folder());
      for (const device of ['cards-1', 'coins-1', 'notes-1', 'public-bw', 'exit-1'])
        expect({ device, alerts: firing.get(device) ?? [] }).toEqual({
          device,
          alerts: expect.arrayContaining(['CarrelDeviceDegraded']),
        });
      // Not within the first minutes: a printer's status poll or a jam cleared at once is no page to IT.
      expect(firingFor(text, 4, folder())).toEqual(new Map());
    }, 60_000);
  },
);
