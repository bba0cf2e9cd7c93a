/**
 * A trap for the desk project's workers' heap growth (session 44's note: in some whole runs one
 * worker's heap grew from ~400 MB to 2.6–4 GB, with time rather than per file, and depending on
 * what ran before it in that worker; runs in another order did not grow). Loaded before each test
 * file (a setup file): the first load starts V8's sampling heap profiler in the worker; after a
 * file, when the worker holds more than the trap's bytes even after a full collection, it writes
 * once where the memory still held was allocated — the largest allocating stacks on stderr, and
 * the whole sampling profile (open it in Chrome DevTools' Memory tab) in the temporary folder.
 * Sampling one allocation in every 512 KB costs nothing a test can measure. The collection runs
 * only past the trap, and is not exposed to the code under test (whose young-generation trim
 * would start on seeing a global `gc`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll } from 'vitest';

const TRAP_BYTES = Number(process.env.CARREL_TEST_HEAP_TRAP_MB ?? 1500) * 1e6;
const SAMPLING_INTERVAL = 512 * 1024;
const STACKS_SHOWN = 12;
const FRAMES_SHOWN = 6;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

interface Trap {
  session: Session;
  sprung: boolean;
}

const WORKER = globalThis as { carrelHeapTrap?: Trap };
if (!WORKER.carrelHeapTrap) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL });
  WORKER.carrelHeapTrap = { session, sprung: false };
}
const trap = WORKER.carrelHeapTrap;

afterAll(async () => {
  if (trap.sprung || process.memoryUsage().heapUsed < TRAP_BYTES) return;
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const held = process.memoryUsage().heapUsed;
  if (held < TRAP_BYTES) return;
  trap.sprung = true;
  const profile = await new Promise<{ head: ProfileNode }>((resolve, reject) =>
    trap.session.post('HeapProfiler.getSamplingProfile', (error, answer) =>
      error ? reject(error) : resolve(answer.profile as unknown as { head: ProfileNode }),
    ),
  );
  const file = join(tmpdir(), `carrel-test-heap-${process.pid}.heapprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.error(
    `heap trap: this worker holds ${Math.round(held / 1e6)} MB after a full collection; ` +
      `where it was allocated (sampled; whole profile in ${file}):\n${largestStacks(profile.head)}`,
  );
});

/** The stacks that allocated most of what is still held, largest first, innermost frame first. */
function largestStacks(head: ProfileNode): string {
  const stacks: Array<{ bytes: number; frames: string[] }> = [];
  const walk = (node: ProfileNode, path: string[]) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const here = [
      `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src|test)\//, '$1/')}:${lineNumber + 1}`,
      ...path,
    ];
    if (node.selfSize > 0) stacks.push({ bytes: node.selfSize, frames: here.slice(0, FRAMES_SHOWN) });
    for (const child of node.children) walk(child, here);
  };
  walk(head, []);
  return stacks
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, STACKS_SHOWN)
    .map(
      ({ bytes, frames }) =>
        `  ${(bytes / 1e6).toFixed(1)} MB\n${frames.map((f) => `      at ${f}`).join('\n')}`,
    )
    .join('\n');
}
