import { defineConfig } from 'vitest/config';

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
