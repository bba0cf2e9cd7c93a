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
 *   scavenge instead of ~135. Beside each other (bench/node-flags-ab.ts,
 *   2026-12-05) Carrel's paced CPU per checkout fell from 669 to 455 µs at 50
 *   kiosks (the bare gateway 462; the same at 200), its paced p99 from 4.9 to
 *   4.4 ms at 50 and 4.8 to 3.7 at 200, and saturated it was no slower (2,187 /
 *   7,143 / 5,418 checkouts a second at 1 / 50 / 200 kiosks against 2,117 /
 *   6,539 / 5,482). In the circulation bench the paced p99 Carrel adds went
 *   from 12.4 / 8.7 ms to 2.7–3.8 / 2.7–3.6, under the bare gateway's.
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
