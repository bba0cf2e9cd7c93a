import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * The real PC/SC stack for tests: pcscd with Debian's vsmartcard-vpcd reader
 * driver ("Virtual PCD", listening for a virtual card on TCP 35963). A pcscd
 * already running is used; otherwise one is started here (it needs root, as CI
 * runs) and stopped after. Outside CI, a machine without them skips.
 */
export const PCSCD = '/usr/sbin/pcscd';
export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const SOCKET = '/run/pcscd/pcscd.comm';

export function pcscSkipReason(): string | undefined {
  if (process.env.CI) return undefined;
  if (!existsSync(PCSCD)) return 'pcscd is not installed (apt-get install pcscd)';
  if (!existsSync(VPCD_DRIVER)) return 'vsmartcard-vpcd is not installed';
  if (process.getuid?.() !== 0 && !existsSync(SOCKET)) return 'pcscd is not running and this is not root';
  return undefined;
}

export interface Pcscd {
  stop(): Promise<void>;
}

/** Does something accept a connection there? (Closed at once: for vpcd, before it asks for an ATR.) */
export function accepts(options: { host: string; port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(options);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const vpcdListening = () => accepts({ host: '127.0.0.1', port: 35963 });

/**
 * A pcscd that answers on its socket is used as it is. A socket left by a pcscd that died is
 * stale: a pcscd is started here (it cleans the socket up). A pcscd that answers but has no vpcd
 * reader (started before vsmartcard-vpcd was installed, as a package install can do) is named in
 * the error: it reads its readers only when it starts.
 */
export async function ensurePcscd(timeoutMs = 10_000): Promise<Pcscd> {
  let child: ChildProcess | undefined;
  const running = existsSync(SOCKET) && (await accepts({ path: SOCKET }));
  if (!running) {
    child = spawn(PCSCD, ['--foreground'], { stdio: 'ignore' });
    child.once('error', () => {});
  }
  const deadline = performance.now() + timeoutMs;
  while (!(existsSync(SOCKET) && (await vpcdListening()))) {
    if (performance.now() > deadline) {
      child?.kill('SIGTERM');
      throw new Error(
        running
          ? 'pcscd runs but its vpcd reader does not listen on 127.0.0.1:35963: restart pcscd (it reads /etc/reader.conf.d only when it starts)'
          : child?.exitCode !== null && child?.exitCode !== undefined
            ? `pcscd exited (${child.exitCode}) before its vpcd reader listened on 127.0.0.1:35963`
            : 'pcscd with the vpcd reader did not come up',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
