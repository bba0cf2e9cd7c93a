import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { youngGenerationTrims } from '../../core/young-generation.js';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import { storageFaultCounts, storageFaultTimes } from '../../gateway/storage/index.js';
import type { ApiModule } from '../operations.js';
import { RequestDurations } from './request-durations.js';

const STATUSES = ['online', 'degraded', 'offline'] as const;

/**
 * How often the event-loop lag histogram samples, in ms. prom-client's default
 * (10 ms) wakes an idle daemon 100 times a second — measured: a sixth of its
 * idle CPU, and a busier machine for the kiosk next to it. Once a second still
 * shows a stalled loop; `carrel_event_loop_utilization` shows how busy it is.
 */
const EVENT_LOOP_SAMPLE_MS = 1000;

/**
 * The histogram's gauges that prom-client fills from `monitorEventLoopDelay`, whose samples are
 * the time between two of its timer's turns: the sampling interval plus the lag. At 10 ms that
 * is noise; at EVENT_LOOP_SAMPLE_MS an idle desk read 1 s "lag" on every one of them. They are
 * reported less the interval (the standard deviation is not moved by it).
 */
const EVENT_LOOP_LAG_FROM_HISTOGRAM = ['min', 'max', 'mean', 'p50', 'p90', 'p99'].map(
  (stat) => `carrel_nodejs_eventloop_lag_${stat}_seconds`,
);

/**
 * prom-client's sums of its active handles, requests and resources: gauges named `_total`, which
 * Prometheus keeps for counters (`promtool check metrics` says so, and a rate() taken of one by
 * its name is wrong). Each is the sum of the gauge beside it by `type`
 * (`sum(carrel_nodejs_active_handles)`), so nothing is lost without them.
 */
const GAUGES_NAMED_AS_COUNTERS = ['handles', 'requests', 'resources'].map(
  (what) => `carrel_nodejs_active_${what}_total`,
);

/** Far beyond any stall a daemon lives through: what an empty histogram says. */
const NO_SAMPLE_SECONDS = 1e6;

/** Makes a prom-client gauge fed with interval-plus-lag report the lag alone. */
function lessSamplingInterval(registry: Registry, name: string): void {
  const metric = registry.getSingleMetric(name);
  if (!metric) return; // a runtime without monitorEventLoopDelay
  const get = metric.get.bind(metric);
  metric.get = async () => {
    const reading = await get();
    return {
      ...reading,
      // Scraped again within the interval, the histogram has no sample: its min is the largest
      // integer of nanoseconds and its mean NaN. Nothing was measured: nothing is reported.
      values: reading.values
        .filter((sample) => Number.isFinite(sample.value) && sample.value < NO_SAMPLE_SECONDS)
        .map((sample) => ({ ...sample, value: Math.max(0, sample.value - EVENT_LOOP_SAMPLE_MS / 1000) })),
    };
  };
}

/**
 * Prometheus metrics. Labels name devices, routes and outcomes — never a
 * patron, an item or anything from a request body.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpDuration: RequestDurations;
  /** Refused before any route (browser-guard.ts): answered by the server itself, so in no request duration. */
  readonly refusedRequests: Counter<'reason'>;

  /** `modules`: the device families' API modules, whose own gauges are added (ApiModule.gauges). */
  constructor(services: DeskServices, modules: readonly ApiModule[] = []) {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'carrel_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    for (const name of EVENT_LOOP_LAG_FROM_HISTOGRAM) lessSamplingInterval(this.registry, name);
    for (const name of GAUGES_NAMED_AS_COUNTERS) this.registry.removeSingleMetric(name);
    const registers = [this.registry];
    this.refusedRequests = new Counter({
      name: 'carrel_http_refused_total',
      help: 'Requests and WebSocket handshakes a tokenless desk refused before any route: from a web page not on this machine (reason host_not_allowed or origin_not_allowed)',
      labelNames: ['reason'],
      registers,
    });
    new Counter({
      name: 'carrel_storage_faults_total',
      help: 'Database statements that failed because the disk was full (code storage_full) or the database could not be written (storage_unwritable): nothing of them was recorded',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, count] of Object.entries(storageFaultCounts())) this.inc({ code }, count);
      },
    });
    new Gauge({
      name: 'carrel_storage_last_fault_timestamp_seconds',
      help: 'When a database statement last failed because the disk was full (code storage_full) or the database could not be written (storage_unwritable), in seconds since the epoch; absent before the first',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, at] of Object.entries(storageFaultTimes())) this.set({ code }, at / 1000);
      },
    });
    new Counter({
      name: 'carrel_young_generation_trims_total',
      help: 'Scavenges the daemon asked V8 for, while idle, to give back a young generation a burst grew (src/core/young-generation.ts)',
      registers,
      collect() {
        this.reset();
        this.inc(youngGenerationTrims());
      },
    });
    let since = performance.eventLoopUtilization();
    new Gauge({
      name: 'carrel_event_loop_utilization',
      help: 'Share of the time since the last scrape the event loop was busy (0 to 1)',
      registers,
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, since).utilization);
        since = now;
      },
    });
    new Gauge({
      name: 'carrel_device_status',
      help: 'Device health: 1 for the current status of each device, 0 for the others',
      labelNames: ['device', 'kind', 'status'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) {
          for (const status of STATUSES) {
            this.set({ device: device.device, kind: device.kind, status }, device.status === status ? 1 : 0);
          }
        }
      },
    });
    // Counts since the gateway started: counters, so that increase() and rate() take a restart
    // (back to 0) as a reset, where delta() of a gauge read it as reconnects going negative.
    new Counter({
      name: 'carrel_device_reconnects_total',
      help: 'Successful reconnections of each device since the gateway started',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) this.inc({ device: device.device }, device.reconnects);
      },
    });
    new Counter({
      name: 'carrel_ils_connections_dropped_total',
      help: 'Connections the ILS dropped under the gateway since it started (its idle timeout, a restart), each opened again without the link going offline',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) {
          const dropped = device.detail.connectionsDropped;
          // Reported by the devices that keep such connections: the ILS link.
          if (typeof dropped === 'number') this.inc({ device: device.device }, dropped);
        }
      },
    });
    new Gauge({
      name: 'carrel_device_status_since_seconds',
      help: 'Unix time of each device’s last status change',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices())
          this.set({ device: device.device }, Date.parse(device.since) / 1000);
      },
    });
    new Gauge({
      name: 'carrel_device_round_trip_seconds',
      help: 'Last measured round trip to devices that report one (the ILS link); absent while the device is offline',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) {
          // Offline, the last round trip measured is of a link that is gone: not shown as the link's now.
          if (device.status === 'offline') continue;
          const ms = device.detail.roundTripMs;
          if (typeof ms === 'number' && Number.isFinite(ms)) this.set({ device: device.device }, ms / 1000);
        }
      },
    });
    new Gauge({
      name: 'carrel_device_last_error_seconds',
      help: 'Unix time of each device’s last error (absent when it never had one)',
      labelNames: ['device', 'code'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) {
          if (device.lastError) {
            this.set(
              { device: device.device, code: device.lastError.code },
              Date.parse(device.lastError.at) / 1000,
            );
          }
        }
      },
    });
    new Gauge({
      name: 'carrel_feature_up',
      help: '1 when a gateway feature runs and can do its work (0: failed at start, stopped, or an external MQTT broker out of reach)',
      labelNames: ['feature'],
      registers,
      collect() {
        this.reset();
        for (const feature of services.features())
          this.set(
            { feature: feature.name },
            feature.status === 'running' && feature.problem === undefined ? 1 : 0,
          );
      },
    });
    new Gauge({
      name: 'carrel_sessions_open',
      help: 'Self-check sessions open now, by mode (never who is in them)',
      labelNames: ['mode'],
      registers,
      collect() {
        this.reset();
        const open = services.sessions.list({ terminal: '', staff: true }).filter((s) => s.state === 'open');
        for (const mode of ['checkout', 'return'] as const)
          this.set({ mode }, open.filter((session) => session.mode === mode).length);
      },
    });
    new Gauge({
      name: 'carrel_device_problem',
      help: 'Problems a device reports now (a printer’s paper out or cover open…): 1 per problem, absent when none',
      labelNames: ['device', 'problem'],
      registers,
      collect() {
        this.reset();
        for (const device of services.devices()) {
          const problems = device.detail.problems;
          if (!Array.isArray(problems)) continue;
          for (const problem of problems)
            if (typeof problem === 'string') this.set({ device: device.device, problem }, 1);
        }
      },
    });
    new Gauge({
      name: 'carrel_backup_last_success_timestamp_seconds',
      help: 'When the last carrel backup of the desk’s database was written (its record beside the database); 0 when none is recorded',
      registers,
      collect() {
        const last = services.lastBackup();
        this.set(last ? Date.parse(last.at) / 1000 : 0);
      },
    });
    new Gauge({
      name: 'carrel_offline_transactions',
      help: 'Offline journal: transactions taken while the ILS was away, by state (pending, replaying, conflict)',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const counts = services.offline.counts();
        for (const state of ['pending', 'replaying', 'conflict'] as const) this.set({ state }, counts[state]);
      },
    });
    for (const module of modules)
      for (const [name, gauge] of Object.entries(module.gauges ?? {}))
        new Gauge({
          name,
          help: gauge.help,
          labelNames: [...gauge.labelNames],
          registers,
          collect() {
            this.reset();
            for (const { labels, value } of gauge.read(services))
              if (Number.isFinite(value)) this.set(labels, value);
          },
        });
    this.httpDuration = new RequestDurations(
      'carrel_http_request_duration_seconds',
      'HTTP API latency by route template',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers,
    );
  }
}
