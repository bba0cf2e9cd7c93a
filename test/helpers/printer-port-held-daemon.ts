/**
 * `carrel start` (a child process, dist/ built) whose receipt printer `receipt-1` cannot start: the
 * port its simulator `printer-sim` is told to listen on is held by another program until the test
 * lets it go.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CarrelDaemon, startCarrelDaemon, writeDaemonConfig } from './carrel-daemon.js';

export interface PrinterPortHeldDaemon {
  daemon: CarrelDaemon;
  /** The other program lets the printer simulator's port go. */
  releasePort(): Promise<void>;
  /** SIGKILLs the daemon if it still runs, lets the port go, removes its folder. */
  close(): Promise<void>;
}

/** `devicesBefore` start before the printer (a gate, say); `env` is added to the daemon's. */
export async function startWithPrinterPortHeld(options: {
  folderPrefix: string;
  gateway: string;
  devicesBefore?: readonly Record<string, unknown>[];
  env?: NodeJS.ProcessEnv;
}): Promise<PrinterPortHeldDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), options.folderPrefix));
  const held: Server = createServer();
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  const releasePort = async () => {
    if (held.listening) await new Promise<void>((resolve) => held.close(() => resolve()));
  };
  const heldPort = (held.address() as { port: number }).port;
  const config = writeDaemonConfig(dir, options.gateway, {
    simulators: [{ id: 'printer-sim', kind: 'printer', port: heldPort }],
    devices: [
      ...(options.devicesBefore ?? []),
      {
        id: 'receipt-1',
        kind: 'receipt-printer',
        transport: { type: 'simulator', simulator: 'printer-sim' },
      },
    ],
  });
  let daemon: CarrelDaemon;
  try {
    daemon = await startCarrelDaemon(config, options.env ?? {});
  } catch (error) {
    await releasePort();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    daemon,
    releasePort,
    async close() {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
      await releasePort();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
