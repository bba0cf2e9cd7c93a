/**
 * A tiny SIP2 server over real TCP for client tests: each request is handed to
 * the test's script, which answers, stays silent, drops the link, or sends bytes
 * of its own. It records every request and how many were outstanding at once.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  Sip2Framer,
} from '../../../src/protocols/sip2/index.js';

export interface ReceivedRequest {
  connection: number;
  message: AnySip2Message;
  /** The frame as received, without terminator. */
  text: string;
}

export interface Reply {
  /** Answers with this message, echoing the request's sequence number. */
  send(message: AnySip2MessageInput): void;
  /** Writes these characters as they are (add the terminator yourself). */
  sendRaw(text: string): void;
  /** Closes this connection. */
  drop(): void;
}

export type Script = (request: AnySip2Message, reply: Reply, connection: number) => void;

export const DATE = '20260101    120000';

/** What a well-behaved ILS answers, for the requests tests do not script. */
export function defaultAnswer(request: AnySip2Message): AnySip2MessageInput | undefined {
  switch (request.type) {
    case 'login':
      return { type: 'loginResponse', ok: true };
    case 'scStatus':
      return {
        type: 'acsStatus',
        onlineStatus: true,
        checkinOk: true,
        checkoutOk: true,
        acsRenewalPolicy: true,
        statusUpdateOk: false,
        offlineOk: false,
        timeoutPeriod: 30,
        retriesAllowed: 3,
        dateTimeSync: DATE,
        protocolVersion: '2.00',
        institutionId: 'INST',
        supportedMessages: {},
      };
    case 'endPatronSession':
      return {
        type: 'endSessionResponse',
        endSession: true,
        transactionDate: DATE,
        institutionId: request.institutionId,
        patronIdentifier: request.patronIdentifier,
      };
    default:
      return undefined;
  }
}

export class ScriptedServer extends EventEmitter {
  readonly received: ReceivedRequest[] = [];
  /** Connections accepted so far. */
  accepted = 0;
  /** The most requests ever unanswered at once on one connection. */
  maxOutstanding = 0;
  errorDetection = true;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public script: Script,
  ) {
    super();
  }

  static async start(script: Script = () => {}): Promise<ScriptedServer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const scripted = new ScriptedServer(server, port, script);
    server.on('connection', (socket) => scripted.accept(socket));
    return scripted;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Requests of one type, in arrival order. */
  requests<T extends AnySip2Message['type']>(type: T): Array<Extract<AnySip2Message, { type: T }>> {
    return this.received.filter((r) => r.message.type === type).map((r) => r.message) as never;
  }

  /** Resolves when a request matching `predicate` has arrived (at once if one already has). */
  async waitFor(predicate: (request: ReceivedRequest) => boolean): Promise<ReceivedRequest> {
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      await once(this, 'request');
    }
  }

  /** Resolves when `count` connections have closed since the server started. */
  async waitForClosed(count: number): Promise<void> {
    while (this.closedCount < count) await once(this, 'connection-closed');
  }

  private closedCount = 0;

  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const connection = ++this.accepted;
    this.sockets.add(socket);
    const framer = new Sip2Framer();
    let outstanding = 0;
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.closedCount++;
      this.emit('connection-closed', connection);
    });
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const event of framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const text = Buffer.from(event.frame).toString('utf8');
        const decoded = decodeSip2Message(event.frame, { checksumMismatch: 'ignore' });
        if (!decoded.ok) continue;
        const message = decoded.message;
        const counts = message.type !== 'requestAcsResend' && message.type !== 'requestScResend';
        if (counts) {
          outstanding++;
          this.maxOutstanding = Math.max(this.maxOutstanding, outstanding);
        }
        let answered = false;
        const settle = () => {
          if (counts && !answered) outstanding--;
          answered = true;
        };
        const reply: Reply = {
          send: (response) => {
            settle();
            const sequence = message.sequence;
            socket.write(
              encodeSip2Message(sequence === undefined ? response : { ...response, sequence }, {
                errorDetection: this.errorDetection,
              }),
            );
          },
          sendRaw: (raw) => {
            settle();
            socket.write(raw);
          },
          drop: () => socket.destroy(),
        };
        this.received.push({ connection, message, text });
        this.emit('request');
        this.script(message, reply, connection);
      }
    });
  }
}

/** A script that answers what `defaultAnswer` knows and leaves the rest to `rest`. */
export function withDefaults(rest: Script = () => {}): Script {
  return (request, reply, connection) => {
    const answer = defaultAnswer(request);
    if (answer) reply.send(answer);
    else rest(request, reply, connection);
  };
}
