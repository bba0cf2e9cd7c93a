import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../../core/logger.js';
import type { DeviceEvent, DeviceState } from '../../../devices/device-state.js';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import type { EventBus } from '../../../gateway/event-bus.js';
import { socketCredential, type TokenAuthenticator } from '../auth.js';
import { ApiProblem } from '../problem.js';
import type { RouteBook } from '../routes.js';
import { deviceStateSchema } from '../schemas.js';
import { encodedMessage, encodedSender } from '../socket-sender.js';
import { websocketRequired } from '../websocket-upgrades.js';

/** What the WebSocket sends: the bus event name and its payload, the same JSON as on MQTT. */
export type EventMessage =
  | { event: 'device.state'; data: DeviceState }
  | { event: 'device.event'; data: DeviceEvent }
  | { event: 'snapshot'; data: { devices: DeviceState[] } };

/** One message of the stream, for the OpenAPI document. */
const eventMessageSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('snapshot'), data: z.object({ devices: z.array(deviceStateSchema) }) }),
  z.object({ event: z.literal('device.state'), data: deviceStateSchema }),
  z.object({
    event: z.literal('device.event'),
    data: z.object({
      device: z.string(),
      type: z.string().describe('one of x-carrel-events'),
      time: z.string(),
      data: z.record(z.string(), z.unknown()).describe("the type's data, as x-carrel-events gives it"),
    }),
  }),
]);

/**
 * `GET /api/v1/events` (WebSocket): a snapshot of every device on connect, then
 * device state changes and device events as they happen. `?devices=a,b` limits
 * to some devices. Browsers cannot set headers on a WebSocket, so the token may
 * also come as `?access_token=`.
 */
export function eventRoutes(
  app: FastifyInstance,
  book: RouteBook,
  services: DeskServices,
  auth: TokenAuthenticator,
  log: Logger,
  /** Each device event as it may leave the gateway (no patron card ids). */
  publicEvent: (event: DeviceEvent) => DeviceEvent,
): void {
  const clients = new EventStreamClients(services.bus, publicEvent);
  book.describeSocket({
    url: '/api/v1/events',
    operationId: 'streamEvents',
    summary: 'Device states and events, live (WebSocket)',
    tag: 'events',
    access: ['kiosk', 'staff', 'monitor'],
    query: z.object({
      devices: z
        .string()
        .optional()
        .describe(
          'only these devices, by id, comma-separated (or the parameter repeated); every device when absent',
        ),
    }),
    messages: {
      description:
        'First a snapshot of every device, then each device state change (device.state) and device event ' +
        '(device.event; its types and data are listed in x-carrel-events of this document), the same JSON as on ' +
        'MQTT. Clients only listen: what they send is ignored.',
      schema: eventMessageSchema,
    },
    closeCodes: {
      4401: 'no token, or one the desk does not know (unauthorized)',
      4403: 'a token without the kiosk, staff or monitor scope (forbidden)',
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/events',
    handler: websocketRequired,
    websocket: (socket, request) => {
      try {
        auth.authorize(socketCredential(request), ['kiosk', 'staff', 'monitor']);
      } catch (error) {
        const code = error instanceof ApiProblem ? error.status : 401;
        socket.close(code === 403 ? 4403 : 4401, code === 403 ? 'forbidden' : 'unauthorized');
        return;
      }
      const only = deviceFilter(request.query.devices);
      const client: StreamClient = {
        wanted: (device) => !only || only.has(device),
        send: encodedSender(socket, log, 'event'),
      };
      clients.add(client);
      socket.on('close', () => clients.remove(client));
      socket.on('error', () => clients.remove(client));
      // Clients only listen; anything they send is ignored.
      socket.on('message', () => {});
      const devices = services.devices().filter((d) => client.wanted(d.device));
      client.send(encodedMessage({ event: 'snapshot', data: { devices } } satisfies EventMessage));
    },
  });
}

/** One client of the event stream: which devices it hears of, and how its messages are sent. */
interface StreamClient {
  wanted(device: string): boolean;
  send(message: Buffer): boolean;
}

/**
 * The event stream's clients, fed by one listener per bus event at the API edge: each state
 * change and each device event is made public and encoded once, when a client first wants it,
 * and those bytes go to every client that wants it, in the order the clients came. A client
 * connecting during an emit hears from the next event on, as a bus listener added then would.
 * The listeners are on the bus while a client is connected (added when the first comes, at the
 * end of the edge listeners; removed when the last goes).
 */
class EventStreamClients {
  private clients: readonly StreamClient[] = [];

  constructor(
    private readonly bus: EventBus,
    private readonly publicEvent: (event: DeviceEvent) => DeviceEvent,
  ) {}

  add(client: StreamClient): void {
    if (this.clients.length === 0) {
      // The API edge: a client hears an event before the gateway's bookkeeping runs.
      const edge = { edge: true };
      this.bus.on(
        'device.state',
        this,
        (state) => this.fanOut(state.device, () => ({ event: 'device.state', data: state })),
        edge,
      );
      this.bus.on(
        'device.event',
        this,
        (event) =>
          this.fanOut(event.device, () => ({ event: 'device.event', data: this.publicEvent(event) })),
        edge,
      );
    }
    // A new list, never the one an emit may be walking.
    this.clients = [...this.clients, client];
  }

  remove(client: StreamClient): void {
    const kept = this.clients.filter((each) => each !== client);
    if (kept.length === this.clients.length) return;
    this.clients = kept;
    if (kept.length === 0) this.bus.removeAllListenersOf(this);
  }

  /** Sends `message` (built and encoded once, when a client first wants it) to every client that wants the device. */
  private fanOut(device: string, message: () => EventMessage): void {
    let encoded: Buffer | undefined;
    for (const client of this.clients) {
      if (!client.wanted(device)) continue;
      encoded ??= encodedMessage(message());
      client.send(encoded);
    }
  }
}

/** `?devices=a,b` (or repeated: `?devices=a&devices=b`) as a set; anything else means every device. */
function deviceFilter(devices: unknown): Set<string> | undefined {
  const parts = (typeof devices === 'string' ? [devices] : Array.isArray(devices) ? devices : [])
    .filter((part): part is string => typeof part === 'string')
    .flatMap((part) => part.split(','))
    .filter(Boolean);
  return parts.length ? new Set(parts) : undefined;
}
