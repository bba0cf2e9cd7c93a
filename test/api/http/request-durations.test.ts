import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from '../../../src/api/http/request-durations.js';

const NAME = 'carrel_http_request_duration_seconds';
const HELP = 'HTTP API latency by route template';
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5];

/** method, route, status, seconds: on a bound, between bounds, above every bound, several series. */
const REQUESTS: Array<[string, string, number, number]> = [
  ['POST', '/api/v1/checkouts', 200, 0.0004],
  ['POST', '/api/v1/checkouts', 200, 0.001],
  ['POST', '/api/v1/checkouts', 200, 0.0011],
  ['POST', '/api/v1/checkouts', 409, 0.003],
  ['GET', '/api/v1/devices/:id', 200, 0.02],
  ['GET', 'unmatched', 404, 7.5],
  ['POST', '/api/v1/checkouts', 200, 0.25],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const durations = new RequestDurations(NAME, HELP, BUCKETS, [ours]);
  const histogram = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [method, route, status, seconds] of REQUESTS) {
    durations.record(method, route, status, seconds);
    histogram.observe({ method, route, status: String(status) }, seconds);
  }
  return { ours, theirs, durations };
}

describe('HTTP request durations', () => {
  it('serve the text prom-client’s own histogram serves for the same requests', async () => {
    const { ours, theirs } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The JSON form too, but for prom-client's empty exemplar slots (null or undefined).
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((metric) => ({
        ...metric,
        values: metric.values.map((value) => {
          const { exemplar: _, ...rest } = value as typeof value & { exemplar?: unknown };
          return rest;
        }),
      }));
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('count cumulatively, a value on a bound in that bound’s bucket, one above every bound only in +Inf', async () => {
    const text = await both().ours.metrics();
    const line = (labels: string) =>
      new RegExp(`^${NAME}_bucket\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1];
    const checkouts = 'method="POST",route="/api/v1/checkouts",status="200"';
    expect(line(`le="0.0005",${checkouts}`)).toBe('1');
    expect(line(`le="0.001",${checkouts}`)).toBe('2');
    expect(line(`le="0.0025",${checkouts}`)).toBe('3');
    expect(line(`le="0.25",${checkouts}`)).toBe('4');
    expect(line(`le="\\+Inf",${checkouts}`)).toBe('4');
    const unmatched = 'method="GET",route="unmatched",status="404"';
    expect(line(`le="2.5",${unmatched}`)).toBe('0');
    expect(line(`le="\\+Inf",${unmatched}`)).toBe('1');
    expect(text).toMatch(new RegExp(`^${NAME}_sum\\{${unmatched}\\} 7.5$`, 'm'));
    expect(text).toMatch(new RegExp(`^${NAME}_count\\{${checkouts}\\} 4$`, 'm'));
  });

  it('forget every series when the registry is reset', async () => {
    const { ours } = both();
    ours.resetMetrics();
    const text = await ours.metrics();
    expect(text).toContain(`# TYPE ${NAME} histogram`);
    expect(text).not.toContain(`${NAME}_count`);
  });
});
