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
 * - `--no-allocation-site-pretenuring`: V8 otherwise decides, per allocation
 *   site, to allocate straight into the old generation once most of a site's
 *   objects have been seen surviving a scavenge — as every request's do in a
 *   burst, when many wait at the ILS at once — and keeps deciding so after the
 *   burst. At a kiosk's pace every checkout's request, answer and closures then
 *   went to the old generation (~4 KB a checkout, 97 % of what each scavenge
 *   kept), which filled and was marked and compacted every ~20 s: 5–20 ms
 *   pauses that were the paced p99. Without it, the same load kept ~13 KB a
 *   scavenge instead of ~135, and in one run beside each other (the same ILS,
 *   alternating segments, 2026-12-05) Carrel's paced CPU per checkout fell from
 *   694 to 487 µs at 50 kiosks (the bare gateway 501) and 320 to 271 at 200,
 *   its paced p99 from 4.1 to 2.8 ms at 50, and under saturation it was no
 *   slower (2,034 / 6,569 / 6,299 checkouts a second at 1 / 50 / 200 kiosks
 *   against 1,989 / 6,364 / 6,040).
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise opens a malloc arena per thread
 *   (libuv's pool, V8's helpers), each holding memory it rarely returns;
 *   two arenas take another ~4 MB off an idle gateway.
 *
 * The same settings stand in the `carrel` shebang, the `npm start` script, the
 * systemd unit, the Debian package's /usr/bin/carrel (packaging/deb/carrel, which
 * runs main.js through node and so skips its shebang) and the benchmark;
 * test/cli/node-flags.test.ts keeps them in step.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--no-allocation-site-pretenuring',
];
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
