/**
 * What the `carrel sip2` tests share: a TCP tap between the console and the ILS
 * simulator that keeps every frame the console sends, the console run in-process
 * with its streams captured, and small in-test servers that misbehave.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import {
  type IlsFixtureInput,
  type IlsSimulator,
  sampleFixturePath,
  startIlsSimulator,
} from '../../simulators/ils/index.js';
import { createSip2Command } from '../../src/cli/commands/sip2.js';
import { Sip2Framer, type SupportedMessage } from '../../src/protocols/sip2/index.js';

/** A listening server's port. */
async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * A TCP hop between the console and the simulator that keeps every frame the
 * console sends (without its terminator): what reached the ILS, on the wire.
 */
export class SipTap {
  /** Frames sent to the ILS, one list per connection, in order. */
  readonly sent: string[][] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<SipTap> {
    let tap: SipTap | undefined;
    const server = createServer((terminal) => tap!.accept(terminal, upstreamPort));
    tap = new SipTap(server, await listen(server));
    return tap;
  }

  private accept(terminal: Socket, upstreamPort: number): void {
    const frames: string[] = [];
    this.sent.push(frames);
    const framer = new Sip2Framer();
    const ils = connect({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [terminal, ils]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
    }
    terminal.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.type === 'frame') frames.push(Buffer.from(event.frame).toString('latin1'));
      }
    });
    terminal.pipe(ils);
    ils.pipe(terminal);
  }

  /** Every frame sent since the last reset, connections one after the other. */
  frames(): string[] {
    return this.sent.flat();
  }

  /** The message codes of those frames. */
  codes(): string[] {
    return this.frames().map((frame) => frame.slice(0, 2));
  }

  reset(): void {
    this.sent.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A server that accepts connections and then never says a word; or hangs up on the first frame. */
export async function misbehavingServer(
  behaviour: 'silent' | 'hang-up',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'hang-up') socket.once('data', () => socket.destroy());
  });
  const port = await listen(server);
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The sample library, with the messages its status (BX) says it does not support. */
export function startSimulatorWithout(
  unsupported: SupportedMessage[],
  unsupportedAnswer: 'refuse' | 'drop' | 'silence' = 'refuse',
): Promise<IlsSimulator> {
  const fixture = parseYaml(readFileSync(sampleFixturePath(), 'utf8')) as IlsFixtureInput & {
    acs: Record<string, unknown>;
  };
  fixture.acs = { ...fixture.acs, unsupportedMessages: unsupported, unsupportedAnswer };
  return startIlsSimulator({ fixture });
}

/** Runs `carrel sip2` in-process with `argv`, stdin from `input` when given. */
export async function runConsole(
  argv: string[],
  options: { input?: PassThrough; env?: NodeJS.ProcessEnv } = {},
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  const code = await createSip2Command({
    stdout,
    stderr,
    env: options.env ?? {},
    ...(options.input && { stdin: options.input }),
  }).run(argv);
  // One JSON document (a single command), or one per line (the shell).
  const lines = out
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line));
  const json = out.startsWith('{\n') ? JSON.parse(out) : lines[0];
  return { code, out, json, lines, stderr: err };
}

/** The connection options for kiosk1 of the sample library, at `port`. */
export function kiosk(port: number, ...more: string[]): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--user',
    'kiosk1',
    '--password',
    'kiosk1pw',
    '--location',
    'MAIN',
    '--error-detection',
    ...more,
  ];
}
