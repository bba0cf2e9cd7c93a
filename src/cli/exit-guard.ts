/**
 * After a clean stop the daemon ends once nothing holds its event loop. Something still open then
 * (a socket, a timer, a server a device or a library forgot) kept `carrel start` running after
 * SIGTERM until systemd's TimeoutStopSec ran out and it was SIGKILLed: a stop that looks like a
 * hang, a restart 20 s late. The guard gives it a short grace, then exits with the stop's code and
 * a log line naming what was still open (`process.getActiveResourcesInfo()`). Its own timer is
 * unref'd: a process that ends by itself ends as soon as it would have.
 */
import type { Logger } from '../core/logger.js';

/** How long the process may take to end by itself once the desk has stopped. */
export const EXIT_GRACE_MS = 2000;

export interface ExitGuardOptions {
  graceMs?: number;
  /** What ends the process (process.exit; a test passes its own). */
  exit?: (code: number) => void;
  /** What is still open (process.getActiveResourcesInfo). */
  openResources?: () => string[];
}

/** Arms the guard once the stop has completed with `code`; returns what disarms it (tests). */
export function exitAfterGrace(code: number, logger: Logger, options: ExitGuardOptions = {}): () => void {
  const graceMs = options.graceMs ?? EXIT_GRACE_MS;
  const exit = options.exit ?? ((exitCode: number) => process.exit(exitCode));
  const openResources = options.openResources ?? (() => process.getActiveResourcesInfo());
  const timer = setTimeout(() => {
    const open = tally(openResources());
    logger.warn(
      { open, graceMs },
      `still running ${graceMs} ms after a clean stop, held by what was left open: ${
        Object.entries(open)
          .map(([kind, count]) => (count > 1 ? `${kind} ×${count}` : kind))
          .join(', ') || 'nothing Node can name'
      }; exiting now (a bug worth reporting)`,
    );
    // The line first; a flush that never calls back does not keep the process either.
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      exit(code);
    };
    logger.flush(() => end());
    setTimeout(end, FLUSH_WAIT_MS).unref();
  }, graceMs);
  timer.unref();
  return () => clearTimeout(timer);
}

/** How long the log line may take to be written before the process exits all the same. */
const FLUSH_WAIT_MS = 500;

/** Each kind of resource (TCPServerWrap, Timeout, FSReqCallback…) with how many are open. */
function tally(resources: readonly string[]): Record<string, number> {
  const open: Record<string, number> = {};
  for (const kind of resources) open[kind] = (open[kind] ?? 0) + 1;
  return open;
}
