import autocannon from 'autocannon';

/**
 * A load generator in its own process, so it does not share a core's event loop
 * with the gateway it measures. Prints one JSON line of results.
 * usage: node load.js URL [seconds] [connections] [authorization]
 */
const [url, seconds = '5', connections = '32', authorization] = process.argv.slice(2);
if (!url) {
  console.error('usage: load.js URL [seconds] [connections] [authorization]');
  process.exit(2);
}
const result = await autocannon({
  url,
  duration: Number(seconds),
  connections: Number(connections),
  pipelining: 1,
  headers: authorization ? { authorization } : {},
});
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    total: result.requests.total,
  }),
);
