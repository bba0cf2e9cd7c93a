/**
 * The simulated gate's own command port: FEIG advanced-protocol frames in, replies out,
 * through a dispatch table (STYLE 8): configuration read/write (the alarm in block 9), CPU
 * reset, and the people counter. Anything else is answered "unknown command" (0x80).
 */
import net from 'node:net';
import {
  decodePeopleCounterRequest,
  decodeReadConfigRequest,
  decodeWriteConfigRequest,
  encodeConfigReply,
  encodeFeigFrame,
  encodePeopleCounterReply,
  FEIG_GATE_COMMAND,
  FEIG_STATUS,
  type FeigFrame,
  FeigFrameError,
  FeigFrameParser,
  feigReply,
} from '../../src/protocols/feig/index.js';
import type { GateModel } from './gate-model.js';

interface Reply {
  status: number;
  data?: ArrayLike<number>;
}

type Handler = (frame: FeigFrame, gate: GateModel) => Reply;

const HANDLERS: Record<number, Handler> = {
  [FEIG_GATE_COMMAND.readConfig]: (frame, gate) => {
    const { first, count } = decodeReadConfigRequest(frame.data);
    if (count < 1) return { status: FEIG_STATUS.parameterRange };
    const blocks = Array.from({ length: count }, (_, i) => ({
      block: first + i,
      data: gate.readBlock(first + i),
    }));
    return { status: FEIG_STATUS.ok, data: encodeConfigReply(blocks) };
  },
  [FEIG_GATE_COMMAND.writeConfig]: (frame, gate) => {
    for (const { block, data } of decodeWriteConfigRequest(frame.data).blocks) gate.writeBlock(block, data);
    return { status: FEIG_STATUS.ok };
  },
  [FEIG_GATE_COMMAND.cpuReset]: (_frame, gate) => {
    gate.cpuReset();
    return { status: FEIG_STATUS.ok };
  },
  [FEIG_GATE_COMMAND.peopleCounter]: (frame, gate) => {
    const request = decodePeopleCounterRequest(frame.data);
    if (request.kind === 'reset') {
      gate.resetCounts();
      return { status: FEIG_STATUS.ok, data: encodePeopleCounterReply({ kind: 'reset', status: 0 }) };
    }
    return {
      status: FEIG_STATUS.ok,
      data: encodePeopleCounterReply({ kind: 'counts', counts: { ...gate.counts } }),
    };
  },
};

export interface CommandServer {
  readonly port: number;
  /** Connections open now. */
  connections(): number;
  /** Frames answered since start. */
  readonly answered: { count: number };
  /** Unplugged: every connection dropped, new ones closed at once. */
  setUnplugged(unplugged: boolean): void;
  close(): Promise<void>;
}

export async function startCommandServer(
  gate: GateModel,
  options: { host: string; port: number; address: number },
): Promise<CommandServer> {
  const sockets = new Set<net.Socket>();
  const answered = { count: 0 };
  let unplugged = false;
  const server = net.createServer((socket) => {
    if (unplugged) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    const parser = new FeigFrameParser();
    socket.on('data', (chunk) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok) continue; // A reader answers nothing to a frame it cannot read.
        const reply = answer(item.frame, gate);
        answered.count++;
        if (!socket.destroyed)
          socket.write(
            encodeFeigFrame(feigReply(options.address, item.frame.command, reply.status, reply.data)),
          );
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => sockets.size,
    answered,
    setUnplugged(value) {
      unplugged = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(frame: FeigFrame, gate: GateModel): Reply {
  const handler = HANDLERS[frame.command];
  if (!handler) return { status: FEIG_STATUS.unknownCommand };
  try {
    return handler(frame, gate);
  } catch (error) {
    if (error instanceof FeigFrameError) return { status: FEIG_STATUS.lengthError };
    throw error;
  }
}
