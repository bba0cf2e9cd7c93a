/**
 * How the daemon's Node process is started, in one place:
 *
 * - `--max-semi-space-size=1`: a 1 MB young generation (V8's default grows to
 *   16 MB per semi-space). A desk gateway is idle most of the time and keeps
 *   little short-lived garbage. Measured again on 2026-12-04: idle after start
 *   the nursery's size makes no difference (every family 87.4 / 86.6 / 86.7 /
 *   86.8 MB with 1 / 4 / 8 / 16 MB), but after a burst a grown nursery stays
 *   (4 MB: 110 MB 20 s after 40,000 checkouts in one run of two, 1 MB: 86).
 *   Its price is scavenging under load: 16.6 µs a checkout at 50 saturating
 *   kiosks against 7.2 with 4 MB — a price the bare gateway of the benchmark,
 *   started alike, pays as much of (15.0 µs, fewer but longer scavenges).
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise opens a malloc arena per thread
 *   (libuv's pool, V8's helpers), each holding memory it rarely returns;
 *   two arenas take another ~4 MB off an idle gateway.
 *
 * The same settings stand in the `carrel` shebang, the `npm start` script, the
 * systemd unit, the Debian package's /usr/bin/carrel (packaging/deb/carrel, which
 * runs main.js through node and so skips its shebang) and the benchmark;
 * test/cli/node-flags.test.ts keeps them in step.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
