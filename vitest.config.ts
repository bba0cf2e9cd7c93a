import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Every `node` the tests start (the built `carrel` command, daemons, the SIGKILL tests' children,
 * and the workers themselves) keeps V8's compiled code of the modules it loads in one folder and
 * reads it back the next time, instead of parsing and compiling dist/ and node_modules again, as
 * the hundreds of `carrel` processes of a run each did (on Node 24, CPU to the simulated desk's
 * banner 1.09 → 0.96 s, `carrel doctor` 0.94 → 0.88 s, `carrel config check` 0.42 → 0.34 s).
 * Node 22.1 and later (CI's 22 and 24) do so; Node 20 ignores the variable. The cache only spares
 * compiling: a module whose file changed is compiled afresh, and a folder it cannot write (a test
 * running `carrel` as nobody) is skipped without a word. Set in the environment here, before the
 * workers start, so that the workers and every process they spawn inherit it; a NODE_COMPILE_CACHE
 * already set is kept.
 */
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'carrel-test-compile-cache');

/**
 * Test files that need the machine to themselves run one at a time, after every other file: the
 * three that share the one vpcd card reader of the machine's pcscd, and the gate flood, which
 * keeps a core busy on purpose and times another gate's alarms meanwhile (beside a second test
 * file on a 2-core machine, an alarm took 1.06 s against its 1 s bound). The rest run two files
 * at a time (CI and this machine have 2 cores; vitest's default of cores − 1 would run one),
 * since most of a file's time is spent waiting on real transports, daemons and browsers.
 *
 * A worker runs its files one after another in one process (isolate: false), each file importing
 * what the ones before it already loaded from the module cache: with a process per file, importing
 * took ~230 s of the workers' time in a run of the whole suite, ~27 s so. Every file starts its own
 * desks, brokers and browsers and stops them in its afterAll, and none changes a module's state
 * for the next (a clock or the time zone it sets is restored as the file ends).
 */
const ALONE = [
  'test/devices/scanner/pcsc-scanner.test.ts',
  'test/e2e/scanner-pcsc.test.ts',
  'test/gateway/families/scanner-doctor.test.ts',
  'test/e2e/gate-flood.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest keeps each test and source file as it transformed it (TypeScript to JavaScript) in a
    // folder, keyed by the file's path and content and the configuration, and reads it back in the
    // next run instead of transforming it again: CI runs vitest three times (on Node 20, 24 and 22)
    // over much the same src/, ~28 s of transforming in the whole suite's run, 14 s in each of the
    // others. test/app run again: transform 17 → 5 s, CPU 12.5 → 9.7 s. In the temporary folder,
    // not node_modules (which a git worktree may share with another).
    experimental: {
      fsModuleCache: true,
      fsModuleCachePath: join(tmpdir(), 'carrel-test-vitest-cache'),
    },
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'desk',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          isolate: false,
          // A worker's heap grows over its ~270 files (a whole run on this 2-core VM reached V8's
          // default 4 GB limit at ~1,200 s in one worker while other work ran beside it): room to
          // finish, while the growth is looked into (session 44's note).
          execArgv: ['--max-old-space-size=6144'],
          setupFiles: ['test/helpers/heap-trap.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
