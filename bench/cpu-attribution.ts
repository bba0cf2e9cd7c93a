/**
 * Where a checkout's CPU goes, in Carrel and in the bare HTTP gateway: not a
 * benchmark with a target, a tool for finding what to change (issue 20).
 *
 * Starts the circulation rig with `--perf-basic-prof` on both gateways, runs
 * `kiosks` saturating kiosks against each (after a warm-up), records each
 * gateway's process with Linux `perf` (all threads, 4,999 samples a second,
 * call stacks), and prints µs per checkout by where the time went: each sample
 * is charged to the nearest JavaScript frame on its stack (its module), so the
 * builtins, inline caches, allocation and syscalls a function causes count as
 * its own; samples with no JavaScript frame are garbage collection, the kernel
 * or libuv, on the event loop's thread or on V8's and libuv's helper threads. A CPU profile from `--cpu-prof` sees JavaScript only, and sampled
 * under load puts syscall time wherever the sample landed.
 *
 *   npm run build && node dist/bench/cpu-attribution.js [kiosks=50] [checkouts=8000] [--by-function] [--paced]
 *
 * `--paced`: the kiosks check out at a kiosk's pace instead (each one every 500 ms, as the
 * circulation bench's paced rows, until `checkouts` are done), the gateway asleep between them.
 * Every checkout then finds cold caches and costs several times its saturated figure: what a
 * patron waits for is this, and code and objects on the path weigh more than in a warm profile.
 *
 * Needs `perf` (Debian's linux-perf) and permission to record another process.
 * V8 reuses the addresses of code it drops; the symbol map is cut to the latest
 * code at each address before it is read (`latestCodeOnly`), but a name can
 * still be stale: trust modules and large rows, not one small function's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { type CarrelKiosk, startRig } from './circulation-rig.js';
import { closedLoop, pacedLoad } from './kiosk-load.js';

const HZ = 4999;
/** The circulation bench's paced rate: a checkout every 500 ms a kiosk. */
const PACED_RATE_PER_KIOSK = 2;

/**
 * V8 reuses the address of code it has dropped, and `--perf-basic-prof` only
 * appends: where two entries of the map overlap, the later one is what ran
 * (the recording comes after the warm-up). perf takes the first, so the map is
 * rewritten with only the later one of each overlap.
 */
function latestCodeOnly(pid: number): void {
  const file = `/tmp/perf-${pid}.map`;
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line, order) => {
      const [start = '0', size = '0'] = line.split(' ', 2);
      const from = Number.parseInt(start, 16);
      return { line, order, from, to: from + Number.parseInt(size, 16) };
    })
    .sort((a, b) => a.from - b.from);
  const kept: typeof entries = [];
  for (const entry of entries) {
    const last = kept[kept.length - 1];
    if (last && entry.from < last.to) {
      if (entry.order > last.order) kept[kept.length - 1] = entry;
    } else kept.push(entry);
  }
  writeFileSync(file, `${kept.map((entry) => entry.line).join('\n')}\n`);
}

/** Samples by where they are charged: the module of the nearest JavaScript frame, else what ran. */
function attribute(perfData: string, pid: number, byFunction: boolean): Map<string, number> {
  latestCodeOnly(pid);
  const script = spawnSync('perf', ['script', '-i', perfData, '-F', 'tid,ip,sym'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`);
  const counts = new Map<string, number>();
  for (const block of script.stdout.split('\n\n')) {
    const frames = block.split('\n').filter((line) => line.trim() !== '');
    if (frames.length === 0) continue;
    let where: string | undefined;
    for (const frame of frames) {
      const js = /JS:[*^~+]?(.*)$/.exec(frame)?.[1];
      if (js === undefined) continue;
      where = byFunction
        ? js.replace(/file:\/\/|\/[^ ]*\/(node_modules|dist)\//g, '$1/').trim()
        : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(js)?.[1] ??
          /(dist\/(?:src|bench)\/[^:]+)/.exec(js)?.[1] ??
          (js.includes('node:') ? `node:${js.split('node:')[1]?.split(':')[0]}` : 'other JavaScript'));
      break;
    }
    // The first line is the sample's thread id: V8's and libuv's helper threads are not the event loop.
    const onLoop = Number(frames[0]?.trim().split(/\s+/)[0]) === pid;
    const thread = onLoop ? 'event loop' : 'helper threads';
    where ??= /Scaveng|Marking|Sweep|Heap|GC|Evacuat/.test(block)
      ? `(no JavaScript) garbage collection, ${thread}`
      : /compiler::|Compiler|Maglev|Turbofan/.test(block)
        ? `(no JavaScript) optimising compiler, ${thread}`
        : `(no JavaScript) ${onLoop ? 'event loop: kernel, libuv, node' : 'helper threads: other'}`;
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  return counts;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `checkouts` at a kiosk's pace: each kiosk one every 1/rate s, as long as that takes. */
async function pacedCheckouts(
  kiosks: number,
  checkouts: number,
  job: (kiosk: number) => Promise<boolean>,
): Promise<{ perSecond: number; errors: number; count: number }> {
  const seconds = checkouts / (kiosks * PACED_RATE_PER_KIOSK);
  const samples = await pacedLoad(
    { kiosks, ratePerKiosk: PACED_RATE_PER_KIOSK, durationMs: seconds * 1000, seed: kiosks },
    job,
  );
  const count = samples.latencies.length;
  return { perSecond: count / seconds, errors: samples.errors, count };
}

async function main(): Promise<void> {
  const [kioskCount = '50', checkoutCount = '8000'] = process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith('--'));
  const kiosks = Number(kioskCount);
  const checkouts = Number(checkoutCount);
  const byFunction = process.argv.includes('--by-function');
  const paced = process.argv.includes('--paced');
  const counted = new Map<string, number>();
  if (spawnSync('perf', ['--version']).status !== 0) {
    console.error('cpu-attribution needs Linux perf (apt-get install linux-perf)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'carrel-cpu-attribution-'));
  const perfMaps = () => new Set(readdirSync('/tmp').filter((name) => /^perf-\d+\.map$/.test(name)));
  const mapsBefore = perfMaps();
  const rig = await startRig(2 * (checkouts + 5000), {
    nodeFlags: [...DAEMON_NODE_FLAGS, '--perf-basic-prof'],
    env: { ...DAEMON_ENV },
  });
  const paths: Record<'Carrel' | 'bare HTTP gateway', { kiosks: CarrelKiosk[]; pid: number }> = {
    Carrel: { kiosks: await rig.carrelKiosks(kiosks), pid: rig.gatewayPid },
    'bare HTTP gateway': { kiosks: await rig.bareGatewayKiosks(kiosks), pid: rig.bareGatewayPid },
  };
  const samples = new Map<string, Map<string, number>>();
  try {
    for (const [name, path] of Object.entries(paths)) {
      const job = (kiosk: number) => {
        const loan = rig.nextLoan();
        return path.kiosks[kiosk]!.checkout(loan.patron, loan.item);
      };
      // Long enough that the optimising compiler is done with the checkout path: it then runs on helper threads.
      await closedLoop(kiosks, 5000, job);
      const data = join(dir, `${path.pid}.data`);
      const perf = spawn('perf', ['record', '-F', String(HZ), '-g', '-o', data, '-p', String(path.pid)], {
        stdio: 'ignore',
      });
      // Heard from the start: a perf that has already exited is not waited for forever.
      const perfClosed = new Promise((resolve) => perf.once('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const reading = paced
        ? await pacedCheckouts(kiosks, checkouts, job)
        : { ...(await closedLoop(kiosks, checkouts, job)), count: checkouts };
      counted.set(name, reading.count);
      perf.kill('SIGINT');
      await perfClosed;
      console.log(`${name}: ${reading.perSecond.toFixed(0)} checkouts/s, ${reading.errors} errors`);
      samples.set(name, attribute(data, path.pid, byFunction));
    }
  } finally {
    for (const path of Object.values(paths)) for (const kiosk of path.kiosks) kiosk.close();
    await rig.stop();
    rmSync(dir, { recursive: true, force: true });
    // The rig's processes' symbol maps (--perf-basic-prof writes one per process).
    // Only those of processes that have ended: another run's (another session's) are still in use.
    for (const name of perfMaps()) {
      if (!mapsBefore.has(name) && !running(Number(/\d+/.exec(name)?.[0])))
        rmSync(join('/tmp', name), { force: true });
    }
  }
  const carrel = samples.get('Carrel') ?? new Map<string, number>();
  const bare = samples.get('bare HTTP gateway') ?? new Map<string, number>();
  const carrelUs = (n: number) => ((n / HZ) * 1e6) / (counted.get('Carrel') ?? checkouts);
  const bareUs = (n: number) => ((n / HZ) * 1e6) / (counted.get('bare HTTP gateway') ?? checkouts);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\nCPU per checkout at ${kiosks} ${paced ? `kiosks × ${PACED_RATE_PER_KIOSK}/s` : 'saturating kiosks'}, µs (charged to the nearest JavaScript frame)`,
  );
  const width = byFunction ? 90 : 46;
  console.log(`${'where'.padEnd(width)} ${'Carrel'.padStart(8)} ${'bare'.padStart(8)}`);
  const rows = [...new Set([...carrel.keys(), ...bare.keys()])]
    .map((key) => ({ key, c: carrelUs(carrel.get(key) ?? 0), b: bareUs(bare.get(key) ?? 0) }))
    .filter((row) => row.c >= 0.5 || row.b >= 0.5)
    .sort((x, y) => y.c - x.c);
  for (const row of rows)
    console.log(`${row.key.padEnd(width)} ${row.c.toFixed(1).padStart(8)} ${row.b.toFixed(1).padStart(8)}`);
  console.log(
    `${'all'.padEnd(46)} ${carrelUs(total(carrel)).toFixed(1).padStart(8)} ${bareUs(total(bare)).toFixed(1).padStart(8)}`,
  );
}

await main();
