import type { WebSocket } from 'ws';
import type { Logger } from '../../core/logger.js';

/** A client that falls this far behind is disconnected rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Whether a message may be written to this client now: it is open, and not so far behind that
 * the gateway would buffer without bound for it — such a client is closed (1008) instead.
 */
function mayWrite(socket: WebSocket, log: Logger, who: string): boolean {
  if (socket.readyState !== socket.OPEN) return false;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    log.warn(`${who} client too slow; disconnecting it`);
    socket.close(1008, 'too slow');
    return false;
  }
  return true;
}

/**
 * Sends JSON messages to one WebSocket client; a client too slow to read them
 * is closed (1008) instead of letting the gateway buffer for it. Returns false
 * when the message was not sent.
 */
export function jsonSender(socket: WebSocket, log: Logger, who: string): (message: unknown) => boolean {
  return (message) => {
    if (!mayWrite(socket, log, who)) return false;
    socket.send(JSON.stringify(message));
    return true;
  };
}

/** A JSON message encoded once (UTF-8), to be sent as it is to every client that gets it. */
export function encodedMessage(message: unknown): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/**
 * Sends messages already encoded by `encodedMessage` to one WebSocket client, as text frames
 * (what `jsonSender` sends), with the same rule for a client too slow to read them. Returns false
 * when the message was not sent.
 */
export function encodedSender(socket: WebSocket, log: Logger, who: string): (message: Buffer) => boolean {
  return (message) => {
    if (!mayWrite(socket, log, who)) return false;
    socket.send(message, { binary: false });
    return true;
  };
}
