import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { backUpDatabase } from '../../src/gateway/storage/backup.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { tempFolders } from '../helpers/temp-folders.js';
import { until } from '../helpers/until.js';

const MONITORING = join(import.meta.dirname, '..', '..', 'monitoring');
const RULES = join(MONITORING, 'prometheus', 'carrel-alerts.yml');
const DASHBOARD = join(MONITORING, 'grafana', 'carrel-dashboard.json');

const promtool = spawnSync('promtool', ['--version']).status === 0;
// In CI a missing promtool must fail, not skip (scripts/install-test-deps installs Debian's prometheus).
const skipPromtool = !promtool && !process.env.CI;
if (skipPromtool) console.warn('skipping promtool checks: no promtool (Debian package prometheus)');

interface RuleFile {
  groups: Array<{
    rules: Array<{ alert: string; expr: string; annotations?: { summary?: string; description?: string } }>;
  }>;
}
interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string; legendFormat?: string }> }>;
  templating: { list: Array<{ definition?: string }> };
}

const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** Every PromQL expression the shipped monitoring uses. */
const expressions = [
  ...rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  ),
  ...dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ where: `panel “${panel.title}”`, expr: target.expr })),
  ),
  ...dashboard.templating.list.map((variable) => ({
    where: 'dashboard variable',
    expr: variable.definition ?? '',
  })),
];

describe.skipIf(skipPromtool)('the Prometheus alert rules, by promtool', () => {
  it('are valid rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS: 13 rules found');
    expect(result.status).toBe(0);
  });

  it('fire when they should and not before (their unit tests: offline 5 min, degraded 10 min, journal 30 min, paper, card ribbon, card cleaning, cash box nearly full, round trip, down, storage, backup)', () => {
    const result = spawnSync('promtool', ['test', 'rules', 'carrel-alerts.test.yml'], {
      cwd: join(MONITORING, 'prometheus'),
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});

/**
 * What staff on call do when each alert pages them, in their words: the alert's description must
 * say it (a page that only says what is wrong leaves them to find out what to do at 2 a.m.).
 */
const whatToDo: Record<string, RegExp[]> = {
  CarrelDown: [/systemctl status carrel/, /journalctl -u carrel/],
  CarrelDeviceOffline: [/\/dashboard/, /carrel doctor/],
  CarrelDeviceDegraded: [/\/dashboard/],
  // carrel_feature_up{feature="mqtt"} is 0 for a broker out of reach, and for another desk online
  // as this one (the same site and gateway): two different things to put right.
  CarrelFeatureDown: [
    /\/readyz/,
    /carrel doctor/,
    /broker/,
    /another desk publishes as this one/,
    /same site and gateway/,
    /give each desk its own gateway \(or site\)/,
  ],
  CarrelOfflineJournalWaiting: [/reaches the ILS/, /\/dashboard/],
  CarrelOfflineConflict: [/\/dashboard/, /retry or discard/],
  CarrelPrinterPaperOut: [/[Ll]oad (a new roll of )?paper/],
  CarrelCardPrinterRibbonLow: [/new ribbon/],
  CarrelCardPrinterCleaningDue: [/cleaning card/],
  CarrelCashBoxNearlyFull: [/empty it and record the emptying/],
  CarrelIlsRoundTripHigh: [/check the ILS and the network path/],
  CarrelStorageFailing: [/make room on the disk/],
  CarrelBackupStale: [/systemctl status carrel-backup/, /run carrel backup/],
};

describe('the Prometheus alert rules, as staff read them', () => {
  const shipped = rules.groups.flatMap((group) => group.rules);

  it.each(shipped.map((rule) => [rule.alert, rule] as const))(
    '%s has a summary naming the desk and a description saying what to do',
    (alert, rule) => {
      expect(rule.annotations?.summary, alert).toMatch(/\{\{ \$labels\.instance \}\}/);
      const description = rule.annotations?.description ?? '';
      expect(description.length, alert).toBeGreaterThan(40);
      expect(whatToDo[alert], `${alert}: what staff do is not written down in this test`).toBeDefined();
      for (const action of whatToDo[alert] ?? []) expect(description, alert).toMatch(action);
    },
  );
});

describe('the Grafana dashboard', () => {
  it('shows the print jobs held by each queue and, of them, the expired ones the print server still holds', () => {
    for (const metric of ['carrel_print_jobs_held{', 'carrel_print_jobs_held_expired{']) {
      const panel = dashboard.panels.find((p) => p.targets.some((t) => t.expr.includes(metric)));
      expect(panel, metric).toBeDefined();
      const target = panel!.targets.find((t) => t.expr.includes(metric))!;
      expect(target.expr).toContain('instance=~"$instance"');
      expect(target.legendFormat).toContain('{{device}}');
    }
  });

  it("shows each card printer's ribbon and whether it is due for cleaning, and each cash box's fill, by desk and device", () => {
    // A printer due for cleaning prints on: no degraded device, only its gauge and its alert tell IT.
    for (const metric of [
      'carrel_card_printer_ribbon_panels_left',
      'carrel_card_printer_cleaning_due',
      'carrel_cash_box_fill_ratio',
    ]) {
      const panel = dashboard.panels.find((p) => p.targets.some((t) => t.expr.includes(metric)));
      expect(panel, metric).toBeDefined();
      const target = panel!.targets.find((t) => t.expr.includes(metric))!;
      expect(target.expr).toContain('instance=~"$instance"');
      expect(target.legendFormat).toContain('{{device}}');
    }
  });
});

describe('the metrics the alert rules and the Grafana dashboard use', () => {
  let desk: TestDesk;
  /** A folder standing for another disk, where a backup is written. */
  const otherDisk = tempFolders('carrel-other-disk-');
  beforeAll(async () => {
    desk = await startTestDesk();
    await waitForDevice(desk.api, 'receipt-1', 'online');
  }, 30_000);
  afterAll(async () => {
    await desk?.stop();
  });

  const scrape = async () => (await fetch(`${desk.api}/metrics`)).text();

  it('are every one exported by a running desk', async () => {
    const text = await scrape();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]));
    const used = new Set(
      expressions.flatMap(({ expr }) =>
        [...expr.matchAll(/\b(carrel_[a-z_]+)/g)].map((match) =>
          match[1]!.replace(/_(bucket|sum|count)$/, ''),
        ),
      ),
    );
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it.skipIf(skipPromtool)(
    "pass Prometheus's own lint (promtool check metrics): a gauge's name does not end in _total, a counter's does",
    async () => {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.status).toBe(0);
    },
  );

  it('count what only grows since the desk started (reconnects, connections the ILS dropped) as counters, and the dashboard takes their increase', async () => {
    const text = await scrape();
    // A gauge's delta() over an hour with a restart in it reads the reconnects as going negative.
    expect(text).toMatch(/^# TYPE carrel_device_reconnects_total counter$/m);
    expect(text).toMatch(/^carrel_device_reconnects_total\{device="[^"]+"\} 0$/m);
    expect(text).toMatch(/^# TYPE carrel_ils_connections_dropped_total counter$/m);
    const reconnects = dashboard.panels.find((panel) => panel.title === 'Device reconnects per hour');
    expect(reconnects?.targets.map((target) => target.expr)).toEqual([
      'increase(carrel_device_reconnects_total{instance=~"$instance"}[1h])',
    ]);
  });

  it('carry a printer out of paper as the paper alert expects it, and the offline journal by state', async () => {
    const printer = desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    printer.setCondition({ paperOut: true });
    const line = await until(async () =>
      (await scrape())
        .split('\n')
        .find((l) => l.startsWith('carrel_device_problem{device="receipt-1",problem="paper out"}')),
    );
    expect(line).toMatch(/ 1$/);
    printer.setCondition({ paperOut: false });
    await until(async () => ((await scrape()).includes('problem="paper out"') ? undefined : true));
    const text = await scrape();
    for (const state of ['pending', 'replaying', 'conflict'])
      expect(text).toContain(`carrel_offline_transactions{state="${state}"} 0`);
  });

  it("carry each family's own gauges by device — a gate's visitors today, a cash box's contents, a card printer's ribbon, the print jobs held — never a patron", async () => {
    for (const device of ['exit-1', 'coins-1', 'cards-1', 'public-bw'])
      await waitForDevice(desk.api, device, 'online');
    const sample = (text: string, series: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.split(' ')[1] ?? Number.NaN,
      );
    const before = await scrape();
    expect(sample(before, 'carrel_cash_box_items{device="coins-1"}')).toBe(0);
    expect(sample(before, 'carrel_card_printer_ribbon_panels_left{device="cards-1"}')).toBe(1000);
    expect(sample(before, 'carrel_card_printer_ribbon_low{device="cards-1"}')).toBe(0);
    expect(sample(before, 'carrel_print_jobs_held{device="public-bw"}')).toBe(0);
    expect(sample(before, 'carrel_print_jobs_held_expired{device="public-bw"}')).toBe(0);
    const counted = sample(before, 'carrel_gate_visitors_today{device="exit-1",direction="out"}');
    expect(counted).toBeGreaterThanOrEqual(0);
    desk.desk.simulators.handle(gateSimulators, 'gate-sim')!.walk({ direction: 'out', items: ['31000004'] });
    await until(async () =>
      sample(await scrape(), 'carrel_gate_visitors_today{device="exit-1",direction="out"}') === counted + 1
        ? true
        : undefined,
    );
    // The item that went out is no label of any gauge.
    expect(await scrape()).not.toContain('31000004');
  });

  it('carry a card printer due for cleaning, from when it asks for one until it is cleaned', async () => {
    await waitForDevice(desk.api, 'cards-1', 'online');
    const cleaningDue = async () =>
      /^carrel_card_printer_cleaning_due\{device="cards-1"\} (\S+)$/m.exec(await scrape())?.[1];
    expect(await cleaningDue()).toBe('0');
    const printer = desk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
    // As many cards printed as its cleaning interval: the printer asks for a cleaning (and prints on).
    printer.model.cardsSinceCleaning = printer.model.cleaningInterval;
    await until(async () => ((await cleaningDue()) === '1' ? true : undefined));
    // Still online: a printer due for cleaning prints on, so only this gauge tells IT.
    const device = (await (await fetch(`${desk.api}/api/v1/devices/cards-1`)).json()) as { status: string };
    expect(device.status).toBe('online');
    // Cleaned, as staff tell the printer (the simulator's own page).
    expect((await fetch(`${printer.httpUrl}/api/clean`, { method: 'POST' })).ok).toBe(true);
    await until(async () => ((await cleaningDue()) === '0' ? true : undefined));
  });

  it('carry when the last backup was written, as carrel backup recorded it wherever it went', async () => {
    const at = (text: string) =>
      Number(/^carrel_backup_last_success_timestamp_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
    expect(at(await scrape())).toBe(0);
    const made = backUpDatabase(desk.databasePath, {
      to: join(otherDisk(), 'backups'),
      now: new Date('2026-12-04T02:30:00Z'),
    });
    expect(made.recorded).toBe(true);
    expect(at(await scrape())).toBe(Date.parse('2026-12-04T02:30:00Z') / 1000);
  });
});
