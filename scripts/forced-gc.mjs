/**
 * A preload that forces garbage collection all the time, for CI and the soak:
 *
 *   node --expose-gc --import ./scripts/forced-gc.mjs …
 *
 * Every CARREL_FORCED_GC_MS (25 ms by default) it runs a full collection,
 * alternately on the spot and as a task V8 runs later, outside any JavaScript
 * context: where a native module that frees its objects from garbage collection
 * without a context aborts the process (better-sqlite3 12 on Node 24.19+:
 * `Assertion failed: (env) != nullptr`). Never used in production.
 */
if (typeof globalThis.gc !== 'function') throw new Error('scripts/forced-gc.mjs needs node --expose-gc');

const intervalMs = Number(process.env.CARREL_FORCED_GC_MS ?? 25);
let collections = 0;
setInterval(() => {
  collections++;
  if (collections % 2 === 0) globalThis.gc();
  else void globalThis.gc({ type: 'major', execution: 'async' });
}, intervalMs).unref();
