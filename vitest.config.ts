import { defineConfig } from 'vitest/config';

/**
 * Test files that share the one vpcd card reader of the machine's pcscd: they take turns, after
 * every other file has run. The rest run two files at a time (CI and this machine have 2 cores;
 * vitest's default of cores − 1 would run one), since most of a file's time is spent waiting on
 * real transports, daemons and browsers rather than on the CPU.
 */
const SHARED_CARD_READER = [
  'test/devices/scanner/pcsc-scanner.test.ts',
  'test/e2e/scanner-pcsc.test.ts',
  'test/gateway/families/scanner-doctor.test.ts',
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
          exclude: SHARED_CARD_READER,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'card-reader',
          include: SHARED_CARD_READER,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
