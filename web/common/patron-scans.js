/**
 * Patrons identified at one scanner or card reader, as a page at the desk receives them: the
 * scanner's own WebSocket (`/api/v1/scanners/:id/identifications`, kiosk or staff scope), which
 * carries the patron's barcode (the barcode scanned, or the card mapped to its patron). The
 * value goes to `onPatron` and nowhere else — never the address bar, storage or the console.
 *
 * `document.body.dataset.scanner` says how the stream is: `listening`, `reconnecting`, or
 * `refused` (no such scanner, or the token may not read it; not tried again).
 */

import { ApiClient } from './carrel-api.js';

/** Close codes the API gives a stream it refuses (401, 403, 404 as 44xx). */
const REFUSED = new Set([4401, 4403, 4404]);
const RETRY_MS = 2000;

export function watchPatronScans({ origin, token, scanner, onPatron, onRefused }) {
  let socket;
  let retry;
  let stopped = false;

  function connect() {
    // A link gone silent (a cable pulled) is noticed within seconds and dialled again, as one
    // closed: scans made meanwhile never came, while the page said it was listening.
    socket = new ApiClient(origin, token).openSocket(
      `/api/v1/scanners/${encodeURIComponent(scanner)}/identifications`,
      {},
      {
        onOpen() {
          document.body.dataset.scanner = 'listening';
        },
        onMessage(message) {
          if (message?.event !== 'scanner.identified') return;
          const { role, patron } = message.data ?? {};
          if (role === 'patron' && typeof patron === 'string' && patron !== '') onPatron(patron);
        },
        onClose(event) {
          if (stopped) return;
          if (REFUSED.has(event.code)) {
            document.body.dataset.scanner = 'refused';
            onRefused?.(event.reason || `refused (${event.code})`);
            return;
          }
          // The gateway restarted or the network blinked: listen again.
          document.body.dataset.scanner = 'reconnecting';
          retry = setTimeout(connect, RETRY_MS);
        },
      },
    );
  }

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    },
  };
}
