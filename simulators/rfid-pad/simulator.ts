/**
 * A simulated library RFID pad (STYLE 7): virtual tags with real memory images, speaking
 * the FEIG advanced protocol over TCP and/or a pty, or the 3M 810 protocol over a pty,
 * with an HTTP control API. Replies are paced at the configured baud rate.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createPtyPair, type PtyPair } from '../common/pty-pair.js';
import { startControlServer } from './control-server.js';
import { serveFeig } from './feig-session.js';
import { type PadFaults, PadField } from './pad.js';
import type { TagSpec, VirtualTag } from './tags.js';
import { serveThreeM } from './threem-session.js';

export interface RfidPadSimulatorOptions {
  protocol: 'feig' | '3m';
  /** FEIG over TCP on this port (0 = any free port). FEIG only. */
  tcpPort?: number;
  /** Also serve the protocol on a pty pair made with socat. */
  pty?: boolean;
  /** Where the pty links are made (default: a fresh temporary folder). */
  ptyDir?: string;
  /** Line speed the replies are paced at: 38400 FEIG / 19200 3M on the pty; TCP unpaced unless `tcpBaudRate`. */
  baudRate?: number;
  tcpBaudRate?: number;
  /** Control API port (0 = any free port, the default). */
  httpPort?: number;
  host?: string;
  /** Tags on the pad at start. */
  tags?: TagSpec[];
  /** Seed for the fault dice. */
  seed?: number;
}

export interface RfidPadSimulator {
  readonly protocol: 'feig' | '3m';
  readonly tcpPort?: number;
  /** The pty end a driver opens, e.g. `/tmp/carrel-pty-x/a`. */
  readonly ptyPath?: string;
  readonly httpUrl: string;
  /** The field itself, for tests that need more than the shortcuts. */
  readonly field: PadField;
  place(tag?: TagSpec): VirtualTag;
  remove(uid: string): boolean;
  move(uid: string, onPad: boolean): boolean;
  tags(): Array<Record<string, unknown>>;
  setFaults(faults: Partial<PadFaults>): PadFaults;
  close(): Promise<void>;
}

export async function startRfidPadSimulator(options: RfidPadSimulatorOptions): Promise<RfidPadSimulator> {
  const host = options.host ?? '127.0.0.1';
  const field = new PadField(options.seed === undefined ? {} : { seed: options.seed });
  for (const tag of options.tags ?? []) field.place(tag);
  const serve = (stream: Duplex, baudRate: number | undefined) =>
    options.protocol === 'feig'
      ? serveFeig(stream, field, baudRate ? { baudRate } : {})
      : serveThreeM(stream, field, baudRate ? { baudRate } : {});
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };

  try {
    let tcpPort: number | undefined;
    if (options.tcpPort !== undefined) {
      const sockets = new Set<Socket>();
      const server: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.once('close', () => sockets.delete(socket));
        serve(socket, options.tcpBaudRate);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.tcpPort, host, () => resolve());
      });
      tcpPort = (server.address() as AddressInfo).port;
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => resolve());
          }),
      );
    }
    let ptyPath: string | undefined;
    if (options.pty) {
      const pair: PtyPair = await createPtyPair(options.ptyDir ? { dir: options.ptyDir } : {});
      cleanups.push(() => pair.close());
      const { SerialPort } = await import('serialport');
      const port = new SerialPort({
        path: pair.devicePath,
        baudRate: options.protocol === 'feig' ? 38400 : 19200,
        autoOpen: false,
      });
      await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
      port.on('error', () => {});
      const session = serve(port, options.baudRate ?? (options.protocol === 'feig' ? 38400 : 19200));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            session.close();
            if (!port.isOpen) return resolve();
            port.close(() => resolve());
          }),
      );
      ptyPath = pair.hostPath;
    }
    const control = await startControlServer(field, { host, port: options.httpPort ?? 0 });
    cleanups.push(() => control.close());
    return {
      protocol: options.protocol,
      ...(tcpPort === undefined ? {} : { tcpPort }),
      ...(ptyPath === undefined ? {} : { ptyPath }),
      httpUrl: control.url,
      field,
      place: (tag = {}) => field.place(tag),
      remove: (uid) => field.remove(uid),
      move: (uid, onPad) => field.move(uid, onPad),
      tags: () => field.tags(),
      setFaults: (faults) => field.setFaults(faults),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
