/**
 * What a checkout allocates or where its CPU goes, in Carrel and in the bare HTTP gateway, by
 * function: not a benchmark with a target, a tool for issue 20 (bytes made per checkout are what
 * the young generation must scavenge, and unlike CPU they read the same on a loaded machine).
 *
 *   npm run build && node dist/bench/checkout-profile.js alloc|cpu [kiosks=200] [checkouts=10000] [top=25]
 *
 * The circulation rig (bench/circulation-rig.ts) is started as the bench starts it; each gateway is
 * warmed up with 5,000 checkouts, then its inspector is opened with SIGUSR1 (as `node --inspect`
 * would, on 127.0.0.1:9229; nothing else may hold that port) and V8's sampling heap profiler runs
 * over `checkouts` checkouts at `kiosks` kiosks, objects that died young included (`alloc`), or V8's
 * CPU profiler, sampling every 100 µs (`cpu`). Printed per gateway: bytes or µs of the event loop's
 * thread a checkout, and the functions that made the most of them (self, by function and file; what
 * V8 inlined is charged to the function it was inlined into). The CPU profile sees only JavaScript's
 * thread: garbage collection on helper threads and the kernel's work for other threads are not in it.
 *
 * `syscalls` counts the system calls each gateway makes a checkout, every thread (`strace -f -c`
 * attached over the measured checkouts; strace slows the process, but a count is a count): where
 * the CPU profile charges Carrel's `writev`/`writeBuffer` more than the bare gateway's, this says
 * whether it makes more calls or pays more for the same ones.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { type CirculationRig, startRig } from './circulation-rig.js';
import { closedLoop, type KioskJob } from './kiosk-load.js';

const [mode, kioskArg, countArg, topArg] = process.argv.slice(2);
if (mode !== 'alloc' && mode !== 'cpu' && mode !== 'syscalls') {
  console.error('usage: node dist/bench/checkout-profile.js alloc|cpu|syscalls [kiosks] [checkouts] [top]');
  process.exit(2);
}
const KIOSKS = Number(kioskArg ?? 200);
const CHECKOUTS = Number(countArg ?? 10_000);
const TOP = Number(topArg ?? 25);
const WARM_UP = 5000;
const INTERVAL = 1024;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: ProfileNode['callFrame']; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(JSON.parse(text)));
    })
      .on('error', reject)
      .end();
  });
}

/** Opens the inspector of `pid` (SIGUSR1) and answers a function that sends it CDP commands. */
async function inspect(pid: number) {
  process.kill(pid, 'SIGUSR1');
  let targets: Array<{ webSocketDebuggerUrl: string }> | undefined;
  for (let tries = 0; tries < 50 && targets === undefined; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    targets = (await getJson('http://127.0.0.1:9229/json/list').catch(() => undefined)) as typeof targets;
  }
  const url = targets?.[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`process ${pid} did not open its inspector on 127.0.0.1:9229`);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id === undefined) return;
    waiting.get(message.id)?.(
      message.error ? Promise.reject(new Error(JSON.stringify(message.error))) : message.result,
    );
    waiting.delete(message.id);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      waiting.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    async close() {
      // Closes the inspector's port again, so the next process can open its own on 9229.
      // (inspector.close() waits for every session to end: this one ends as soon as it is asked.)
      socket.send(
        JSON.stringify({
          id: ++id,
          method: 'Runtime.evaluate',
          params: { expression: "require('node:inspector').close()", includeCommandLineAPI: true },
        }),
      );
      socket.close();
      for (let tries = 0; tries < 50; tries++) {
        if ((await getJson('http://127.0.0.1:9229/json/list').catch(() => undefined)) === undefined) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`process ${pid} kept its inspector open on 127.0.0.1:9229`);
    },
  };
}

function siteOf({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const file = url.replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${functionName || '(anonymous)'}  ${file || '(native)'}${file ? `:${lineNumber + 1}` : ''}`;
}

/**
 * Where a function belongs: Carrel's own code (dist/src), the bench's (the bare gateway's own
 * code), a package, Node's JavaScript, or native work (syscalls, the GC, V8's runtime).
 */
function layerOf(site: string): string {
  if (site.includes('dist/src/')) return 'carrel';
  if (site.includes('dist/bench/')) return 'bench';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(site);
  if (pkg) return pkg[1]!;
  if (site.includes('node:')) return 'node';
  return site.split('  ')[0]!.startsWith('(') ? site.split('  ')[0]! : 'native';
}

/** Bytes by function over a sampling heap profile, and their total. */
function bytesBySite(head: ProfileNode): { total: number; sites: Map<string, number> } {
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode) => {
    if (node.selfSize > 0) {
      const key = siteOf(node.callFrame);
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(head);
  return { total, sites };
}

/** µs by function over a CPU profile (its idle samples left out), and their total. */
function timeBySite(profile: CpuProfile): { total: number; sites: Map<string, number> } {
  const siteOfNode = new Map(profile.nodes.map((node) => [node.id, siteOf(node.callFrame)]));
  const sites = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const site = siteOfNode.get(id) ?? '?';
    if (site.startsWith('(idle)')) return;
    const micros = profile.timeDeltas[index + 1] ?? 0;
    sites.set(site, (sites.get(site) ?? 0) + micros);
    total += micros;
  });
  return { total, sites };
}

/** `strace -c`'s summary table: calls by system call. */
function callsByName(summary: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of summary.split('\n')) {
    // "% time     seconds  usecs/call     calls    errors syscall": errors may be blank.
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1);
    if (
      fields.length < 5 ||
      !name ||
      name === 'total' ||
      !/^[a-z_0-9]+$/.test(name) ||
      !/^\d/.test(fields[0]!)
    )
      continue;
    calls.set(name, Number(fields[3]));
  }
  return calls;
}

/** The system calls of `pid` (every thread) over `checkouts` checkouts, a checkout. */
async function syscalls(name: string, pid: number, job: KioskJob): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-syscalls-'));
  const out = join(dir, 'strace.txt');
  try {
    const strace = spawn('strace', ['-f', '-c', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
    const exited = new Promise((resolve) => strace.once('exit', resolve));
    // strace has attached once the process's threads are traced; a moment is enough on loopback.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reading = await closedLoop(KIOSKS, CHECKOUTS, job);
    strace.kill('SIGINT');
    await exited;
    const calls = callsByName(readFileSync(out, 'utf8'));
    let total = 0;
    for (const count of calls.values()) total += count;
    console.log(
      `\n${name}: ${(total / CHECKOUTS).toFixed(2)} system calls a checkout (${CHECKOUTS} checkouts at ${KIOSKS} kiosks, ${reading.perSecond.toFixed(0)}/s under strace)`,
    );
    for (const [call, count] of [...calls].sort((x, y) => y[1] - x[1]).slice(0, TOP)) {
      console.log(`  ${(count / CHECKOUTS).toFixed(3).padStart(8)}  ${call}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function profile(name: string, pid: number, job: KioskJob): Promise<void> {
  await closedLoop(16, WARM_UP, job);
  if (mode === 'syscalls') return syscalls(name, pid, job);
  const inspector = await inspect(pid);
  try {
    let reading: Awaited<ReturnType<typeof closedLoop>>;
    let total: number;
    let sites: Map<string, number>;
    if (mode === 'alloc') {
      await inspector.send('HeapProfiler.startSampling', {
        samplingInterval: INTERVAL,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      reading = await closedLoop(KIOSKS, CHECKOUTS, job);
      const { profile } = (await inspector.send('HeapProfiler.stopSampling')) as {
        profile: { head: ProfileNode };
      };
      ({ total, sites } = bytesBySite(profile.head));
    } else {
      await inspector.send('Profiler.enable');
      await inspector.send('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.send('Profiler.start');
      reading = await closedLoop(KIOSKS, CHECKOUTS, job);
      const { profile } = (await inspector.send('Profiler.stop')) as { profile: CpuProfile };
      if (process.env.CARREL_PROFILE_SAVE) {
        writeFileSync(
          `${process.env.CARREL_PROFILE_SAVE}-${name.split(' ')[0]}.cpuprofile`,
          JSON.stringify(profile),
        );
      }
      ({ total, sites } = timeBySite(profile));
    }
    const unit = mode === 'alloc' ? 'B' : 'µs';
    const each = (value: number) => value / CHECKOUTS;
    console.log(
      `\n${name}: ${each(total).toFixed(mode === 'alloc' ? 0 : 1)} ${unit} a checkout (${CHECKOUTS} checkouts at ${KIOSKS} kiosks, ${reading.perSecond.toFixed(0)}/s)`,
    );
    const layers = new Map<string, number>();
    for (const [site, value] of sites) layers.set(layerOf(site), (layers.get(layerOf(site)) ?? 0) + value);
    console.log(
      `  by layer: ${[...layers]
        .sort((x, y) => y[1] - x[1])
        .map(([layer, value]) => `${layer} ${each(value).toFixed(mode === 'alloc' ? 0 : 1)}`)
        .join(', ')}`,
    );
    for (const [site, value] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, TOP)) {
      console.log(
        `  ${each(value)
          .toFixed(mode === 'alloc' ? 0 : 2)
          .padStart(8)} ${unit}  ${site}`,
      );
    }
  } finally {
    await inspector.close();
  }
}

const rig: CirculationRig = await startRig(2 * (WARM_UP + CHECKOUTS) + 1000, {
  nodeFlags: DAEMON_NODE_FLAGS,
  env: { ...DAEMON_ENV },
});
try {
  // The warm-up runs 16 kiosks.
  const carrel = await rig.carrelKiosks(Math.max(16, KIOSKS));
  const bare = await rig.bareGatewayKiosks(Math.max(16, KIOSKS));
  const jobOf =
    (kiosks: typeof carrel): KioskJob =>
    (kiosk) => {
      const loan = rig.nextLoan();
      return kiosks[kiosk]!.checkout(loan.patron, loan.item);
    };
  await profile('Carrel', rig.gatewayPid, jobOf(carrel));
  await profile('bare HTTP gateway', rig.bareGatewayPid, jobOf(bare));
  for (const kiosk of [...carrel, ...bare]) kiosk.close();
} finally {
  await rig.stop();
}
