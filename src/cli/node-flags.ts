/**
 * How the daemon's Node process is started, in one place:
 *
 * - `--max-semi-space-size=16`: V8 may grow the young generation to 16 MB a
 *   semi-space (it starts at 1 MB and grows only while objects keep surviving).
 *   Under a burst the requests in flight then die young instead of being copied
 *   and promoted: at 200 saturating kiosks a checkout's garbage collection fell
 *   from 47 to 5.5 µs (CPU per checkout 98 → 73–79 µs; the bare gateway's, started
 *   alike, 65 → 54–56), and a burst of 40,000 checkouts peaked at 122 MB instead of
 *   155. Until 2026-12-06 the daemon kept it at 1 MB because V8 keeps a grown young
 *   generation long after a burst (30 MB more a minute later); the young-generation
 *   trim (src/core/young-generation.ts) now gives it back within seconds of the
 *   daemon going quiet, and idle after start it is the same (every family 88.7 MB,
 *   batch 1 85.5).
 * - `--expose-gc`: the `gc` function that trim asks for a scavenge with. Nothing
 *   else calls it.
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
  '--max-semi-space-size=16',
  '--no-allocation-site-pretenuring',
  '--expose-gc',
];
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
