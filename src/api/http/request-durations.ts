import { Histogram, type Registry } from 'prom-client';

type Label = 'method' | 'route' | 'status';

interface Series {
  /** The series' labels: one object for its life (prom-client caches their text by identity). */
  readonly labels: Readonly<Record<Label, string>>;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * `carrel_http_request_duration_seconds`, kept by route, method and status.
 *
 * prom-client's `observe` takes a label object and, on every request, checks
 * it against the label names and hashes it into a sorted key: ~5 µs of a
 * checkout's CPU at 50 saturating kiosks (perf, call stacks of the daemon). A
 * request finds its series here through three map lookups on values it already
 * has, and counts into a plain array; the exposition is made at scrape, in the
 * shape prom-client's own histogram gives the registry, so the text served
 * does not change.
 */
export class RequestDurations extends Histogram<Label> {
  private readonly bounds: readonly number[];
  private readonly title: string;
  private readonly description: string;
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(name: string, help: string, buckets: readonly number[], registers: Registry[]) {
    super({ name, help, labelNames: ['method', 'route', 'status'], buckets: [...buckets], registers });
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.title = name;
    this.description = help;
  }

  /** One request: its route template (`unmatched` when none), method, status and duration. */
  record(method: string, route: string, status: number, seconds: number): void {
    const byStatus = inner(inner(this.series, route), method);
    let series = byStatus.get(status);
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        counts: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      byStatus.set(status, series);
    }
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++;
    (series.counts[bucket] as number)++;
    series.sum += seconds;
    series.count++;
  }

  /** What the registry reads at scrape (prom-client's histogram gives the same values). */
  async getForPromString() {
    const bucketName = `${this.title}_bucket`;
    const values: Array<{
      labels: Record<string, string | number>;
      sharedLabels: Readonly<Record<Label, string>>;
      value: number;
      metricName: string;
    }> = [];
    for (const byMethod of this.series.values()) {
      for (const byStatus of byMethod.values()) {
        for (const series of byStatus.values()) {
          let cumulative = 0;
          this.bounds.forEach((le, bucket) => {
            cumulative += series.counts[bucket] as number;
            values.push({
              labels: { le },
              sharedLabels: series.labels,
              value: cumulative,
              metricName: bucketName,
            });
          });
          const shared = series.labels;
          values.push(
            { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucketName },
            { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.title}_sum` },
            { labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.title}_count` },
          );
        }
      }
    }
    return { name: this.title, help: this.description, type: 'histogram', values, aggregator: 'sum' };
  }

  /** Forgets every series (the registry's `resetMetrics`). JSON (`get()`) reads through `getForPromString`. */
  override reset(): void {
    super.reset();
    // prom-client's constructor resets the metric before this class's fields exist.
    (this.series as typeof this.series | undefined)?.clear();
  }
}

/** The map under `key`, made empty the first time. */
function inner<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}
