import { readdirSync, readFileSync } from 'node:fs';

/** What a process has used so far, read from Linux's /proc. */
export interface ProcessUsage {
  /** CPU time of all its threads, in ms. */
  cpuMs: number;
  /** Times its main thread went to sleep and was woken again. */
  wakeUps: number;
  /**
   * Times its main thread was taken off the CPU while it had work (involuntary context switches):
   * on a machine with fewer cores than busy processes, mostly by a process its own write just woke.
   */
  preempted: number;
}

/** The usage of process `pid`, or undefined where /proc is not there (not Linux). */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    let cpuNs = 0;
    for (const thread of readdirSync(`/proc/${pid}/task`)) {
      cpuNs += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    }
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const wakeUps = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    const preempted = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    return { cpuMs: cpuNs / 1e6, wakeUps, preempted };
  } catch {
    return undefined;
  }
}

/** Usage per second of `pid` over the next `ms` milliseconds. */
export async function usageOver(pid: number, ms: number): Promise<ProcessUsage | undefined> {
  const before = processUsage(pid);
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = processUsage(pid);
  if (!before || !after) return undefined;
  const seconds = (performance.now() - began) / 1000;
  return {
    cpuMs: (after.cpuMs - before.cpuMs) / seconds,
    wakeUps: (after.wakeUps - before.wakeUps) / seconds,
    preempted: (after.preempted - before.preempted) / seconds,
  };
}
