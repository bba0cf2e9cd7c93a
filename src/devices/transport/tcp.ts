import net from 'node:net';
import { type SocketLinkOptions, SocketTransport } from './socket-transport.js';

export type TcpOptions = SocketLinkOptions;

/** A raw TCP link (printer port 9100, reader port 10001, …). Connect timeout 3 s unless said. */
export class TcpTransport extends SocketTransport {
  readonly description: string;

  constructor(private readonly options: TcpOptions) {
    super(options, 3000);
    this.description = `tcp://${options.host}:${options.port}`;
  }

  protected async connectSocket() {
    return {
      socket: net.connect({ host: this.options.host, port: this.options.port }),
      readyEvent: 'connect' as const,
    };
  }
}
