/**
 * The line between Carrel and a reader's TCP port (a gate's command port, an RFID pad), which
 * garbles the length of one reply when told — its high length byte, the one after the frame's start
 * byte, set to 0x02: 512 bytes and more, for FEIG's and 3M's frames alike — and passes everything
 * else as it is. A reply is known by its first byte being one of `frameStarts` (FEIG's STX 0x02 by
 * default; 3M's 0xD6 and 0xD5).
 */
import net from 'node:net';

export interface GarblingLine {
  /** The port Carrel dials instead of the reader's. */
  readonly port: number;
  /** The next reply that comes from the reader has its length garbled; the ones after it do not. */
  garbleNextReply(): void;
  /**
   * From now on, every reply to a request `asked` takes (Carrel's bytes of it) comes with its check
   * value broken — its last byte flipped, a CRC error to FEIG's and 3M's frames alike — however often
   * it is sent again; undefined stops it.
   */
  garbleRepliesTo(asked: ((request: Buffer) => boolean) | undefined): void;
  close(): Promise<void>;
}

export async function garblingLine(
  readerPort: number,
  frameStarts: readonly number[] = [0x02],
): Promise<GarblingLine> {
  let garble = false;
  let garbledRequest: ((request: Buffer) => boolean) | undefined;
  let replyGarbled = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((carrel) => {
    const reader = net.connect({ host: '127.0.0.1', port: readerPort });
    for (const socket of [carrel, reader]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => (socket === carrel ? reader : carrel).destroy());
    }
    carrel.on('data', (request: Buffer) => {
      replyGarbled = garbledRequest?.(request) ?? false;
      reader.write(request);
    });
    reader.on('data', (chunk: Buffer) => {
      if (garble && chunk.length > 1 && frameStarts.includes(chunk[0]!)) {
        garble = false;
        chunk = Buffer.from(chunk);
        chunk[1] = 0x02;
      } else if (replyGarbled && chunk.length > 1 && frameStarts.includes(chunk[0]!)) {
        chunk = Buffer.from(chunk);
        chunk[chunk.length - 1]! ^= 0xff;
      }
      carrel.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    garbleNextReply: () => {
      garble = true;
    },
    garbleRepliesTo: (asked) => {
      garbledRequest = asked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
