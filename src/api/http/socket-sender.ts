import type { WebSocket } from 'ws';
import type { Logger } from '../../core/logger.js';

/** A client that falls this far behind is disconnected rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Sends JSON messages to one WebSocket client; a client too slow to read them
 * is closed (1008) instead of letting the gateway buffer for it. Returns false
 * when the message was not sent.
 */
export function jsonSender(socket: WebSocket, log: Logger, who: string): (message: unknown) => boolean {
  return (message) => {
    if (socket.readyState !== socket.OPEN) return false;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn(`${who} client too slow; disconnecting it`);
      socket.close(1008, 'too slow');
      return false;
    }
    socket.send(JSON.stringify(message));
    return true;
  };
}
