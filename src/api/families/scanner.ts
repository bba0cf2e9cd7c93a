/**
 * Scanners and card readers over the API: the identification stream. Every
 * `scanner.identified` goes out on the event WebSocket and MQTT with the value
 * hidden when it names a person (a patron's barcode, any card number or UID);
 * item barcodes go out whole. Kiosk and staff clients get a device's whole
 * stream, patron values included, on its own authenticated WebSocket
 * (`/api/v1/scanners/:id/identifications`) and its last identification over
 * HTTP — never over MQTT, whose answers are masked too.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeviceEvent } from '../../devices/device-state.js';
import { type Identification, mayNameAPerson, scanners } from '../../gateway/families/scanner/index.js';
import { listenTo } from '../../gateway/family.js';
import { socketCredential } from '../http/auth.js';
import { problemFromError } from '../http/problem.js';
import { deviceIdParams } from '../http/schemas.js';
import { websocketRequired } from '../http/websocket-upgrades.js';
import { type ApiModule, type ApiRouteContext, operation } from '../operations.js';

const tag = 'scanners';

const symbologySchema = z.object({ aim: z.string(), name: z.string(), modifier: z.string() });

/** One identification as kiosk and staff see it. */
export const identificationSchema = z.object({
  source: z.enum(['serial', 'wedge', 'hidpos', 'pcsc', 'magstripe']),
  kind: z.enum(['barcode', 'card']),
  value: z.string().nullable(),
  symbology: symbologySchema.optional(),
  raw: z.string().optional(),
  device: z.string(),
  at: z.string(),
  role: z.enum(['patron', 'item', 'unknown']),
  patron: z.string().optional(),
  /** True when a patron value or card number was taken out (events, MQTT). */
  redacted: z.boolean().optional(),
});

/** An identification for audiences that may not see patron ids: the value of what may name a person (a patron's barcode, a card, a barcode no pattern knows) is gone. */
export function withoutPatronValue(identification: Identification): Record<string, unknown> {
  if (!mayNameAPerson(identification)) return { ...identification };
  const { value: _value, raw: _raw, patron: _patron, ...rest } = identification;
  return { ...rest, value: null, redacted: true };
}

export function publicScannerEvent(event: DeviceEvent): DeviceEvent {
  if (event.type !== 'scanner.identified') return event;
  return { ...event, data: withoutPatronValue(event.data as unknown as Identification) };
}

/** The family's events, on the event WebSocket and MQTT (redacted) and on its own stream (whole). */
const scannerEvents = {
  'scanner.identified': {
    summary:
      'A barcode scanned or a card read, classified (patron, item, unknown); a patron value, a card number or a barcode no pattern knows (role unknown: it may be a patron’s) is null here (redacted)',
    data: identificationSchema,
  },
  'scanner.rejected': {
    summary:
      'What a scanner sent was not a whole, clean code (cut off, too long, not UTF-8…): why, never the data',
    data: z.object({ source: z.string(), code: z.string(), message: z.string() }),
  },
  'scanner.card_removed': {
    summary: 'A card left the reader',
    data: z.object({ source: z.string() }),
  },
} satisfies ApiModule['events'];

/** Largest backlog a slow stream client may have before it is dropped. */
const MAX_BUFFERED_BYTES = 1 << 20;

/** `GET /api/v1/scanners/:id/identifications` (WebSocket): this device's identifications and rejections, whole. */
function streamRoutes(app: FastifyInstance, { services, auth, book }: ApiRouteContext): void {
  book.describeSocket({
    url: '/api/v1/scanners/:id/identifications',
    operationId: 'streamIdentifications',
    summary: "This scanner's identifications and rejections, live, patron values included (WebSocket)",
    tag,
    access: ['kiosk', 'staff'],
    params: deviceIdParams,
    messages: {
      description:
        'Each event of this scanner or card reader as it happens, whole: an identification names the patron ' +
        'value it read (the event WebSocket and MQTT hide it). Clients only listen.',
      schema: z.discriminatedUnion(
        'event',
        Object.entries(scannerEvents).map(([event, { data }]) =>
          z.object({ event: z.literal(event), data }),
        ) as unknown as [z.ZodObject, ...z.ZodObject[]],
      ),
    },
    closeCodes: {
      4401: 'no token, or one the desk does not know',
      4403: 'a token without the kiosk or staff scope',
      4404: 'no such device, or not a scanner (the problem code is the reason)',
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/scanners/:id/identifications',
    handler: websocketRequired,
    websocket: (socket, request) => {
      const id = request.params.id ?? '';
      try {
        auth.authorize(socketCredential(request), ['kiosk', 'staff']);
        services.ports.port(scanners, id);
      } catch (error) {
        const problem = problemFromError(error);
        socket.close(problem.status === 401 ? 4401 : problem.status === 403 ? 4403 : 4404, problem.code);
        return;
      }
      const owner = {};
      listenTo(
        services.bus,
        scanners,
        owner,
        (event) => {
          if (event.device !== id || socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
            socket.close(1008, 'too slow');
            return;
          }
          socket.send(JSON.stringify({ event: event.type, data: event.data }));
        },
        { edge: true },
      );
      const stop = () => services.bus.removeAllListenersOf(owner);
      socket.on('close', stop);
      socket.on('error', stop);
      socket.on('message', () => {});
    },
  });
}

export const scannerApi: ApiModule = {
  name: 'scanners',
  problems: {
    not_a_scanner: { status: 409, title: 'Device is not a scanner or card reader' },
  },
  publicEvent: publicScannerEvent,
  events: scannerEvents,
  operations: ({ ports }) => [
    operation({
      method: 'GET',
      url: '/api/v1/scanners/:id/last',
      operationId: 'getLastIdentification',
      summary:
        "The scanner's last identification since Carrel started (null when none), patron values included",
      tag,
      access: ['kiosk', 'staff'],
      params: deviceIdParams,
      response: z.object({ identification: identificationSchema.nullable() }),
      problems: [404, 409],
      // MQTT answers never name a patron.
      mqtt: {
        action: 'scanners.last',
        answer: (result) => {
          const { identification } = result as { identification: Identification | null };
          return { identification: identification && withoutPatronValue(identification) };
        },
      },
      handler: ({ params }) => ({ identification: ports.port(scanners, params.id).last() }),
    }),
  ],
  routes: streamRoutes,
};
