/**
 * V8 flags the daemon runs with: a 1 MB young generation (V8's default grows
 * to 16 MB per semi-space). A desk gateway is idle most of the time and keeps
 * little short-lived garbage; the smaller nursery takes about 10 MB off its
 * resident memory. The same flags stand in the `carrel` shebang and the
 * `npm start` script; test/cli/node-flags.test.ts keeps the three in step.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
