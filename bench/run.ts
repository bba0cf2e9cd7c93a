import { cpus } from 'node:os';
import type { BenchResult } from './types.js';

/**
 * `npm run bench`: every benchmark, one table. Each suite is a module with
 * `run(): Promise<BenchResult[]>`; a failing suite is reported and the rest run.
 */
const SUITES: Array<{ name: string; load: () => Promise<{ run(): Promise<BenchResult[]> }> }> = [
  { name: 'gateway (simulated desk)', load: () => import('./desk.js') },
  { name: 'SIP2 codec', load: () => import('./sip2-codec.js') },
  { name: 'SIP2 client', load: () => import('./sip2-client.js') },
  { name: 'SIP2 relay', load: () => import('./sip2-relay.js') },
  { name: 'circulation (HTTP vs direct SIP2)', load: () => import('./circulation.js') },
  { name: 'offline journal', load: () => import('./offline-journal.js') },
  { name: 'RFID codec', load: () => import('./rfid-codec.js') },
  { name: 'RFID pad', load: () => import('./rfid-pad.js') },
  { name: 'security gate', load: () => import('./gate.js') },
  { name: 'security gate, alarms to several clients', load: () => import('./gate-clients.js') },
  { name: 'print release', load: () => import('./print.js') },
  { name: 'cash (payments)', load: () => import('./cash.js') },
  { name: 'desk report (statistics)', load: () => import('./reports.js') },
  { name: 'dashboard (Chromium, 50 devices)', load: () => import('./dashboard.js') },
  { name: 'fleet view (Mosquitto, bridge)', load: () => import('./fleet.js') },
  { name: 'card printing', load: () => import('./card-printer.js') },
  { name: 'scanners', load: () => import('./scanner.js') },
  { name: 'patron waits (self-check pad, 38400 pty)', load: () => import('./patron-waits.js') },
  { name: 'card readers (PC/SC)', load: () => import('./scanner-pcsc.js') },
  { name: 'idle daemon (wake-ups, database reads, CPU)', load: () => import('./idle.js') },
];

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  console.log(
    `Carrel benchmarks — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})`,
  );
  let failures = 0;
  for (const suite of SUITES) {
    if (only.length > 0 && !only.some((o) => suite.name.toLowerCase().includes(o.toLowerCase()))) continue;
    console.log(`\n## ${suite.name}`);
    try {
      const results = await (await suite.load()).run();
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results) {
        const verdict = r.met === undefined ? '' : r.met ? '  ok' : '  MISSED';
        const target = r.target ? `  (target ${r.target})` : '';
        console.log(
          `  ${r.name.padEnd(width)}  ${format(r.value).padStart(12)} ${r.unit}${target}${verdict}`,
        );
      }
    } catch (error) {
      failures++;
      console.log(`  suite failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
