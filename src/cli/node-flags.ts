/**
 * How the daemon's Node process is started, in one place:
 *
 * - `--max-semi-space-size=1`: a 1 MB young generation (V8's default grows to
 *   16 MB per semi-space). A desk gateway is idle most of the time and keeps
 *   little short-lived garbage; the smaller nursery takes ~10 MB off its RSS.
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise opens a malloc arena per thread
 *   (libuv's pool, V8's helpers), each holding memory it rarely returns;
 *   two arenas take another ~4 MB off an idle gateway.
 *
 * The same settings stand in the `carrel` shebang, the `npm start` script, the
 * systemd unit and the benchmark; test/cli/node-flags.test.ts keeps them in step.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
