import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../core/logger.js';
import type { DeviceEvent, DeviceState } from '../../../devices/device-state.js';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import { socketCredential, type TokenAuthenticator } from '../auth.js';
import { ApiProblem } from '../problem.js';
import { jsonSender } from '../socket-sender.js';
import { websocketRequired } from '../websocket-upgrades.js';

/** What the WebSocket sends: the bus event name and its payload, the same JSON as on MQTT. */
export type EventMessage =
  | { event: 'device.state'; data: DeviceState }
  | { event: 'device.event'; data: DeviceEvent }
  | { event: 'snapshot'; data: { devices: DeviceState[] } };

/**
 * `GET /api/v1/events` (WebSocket): a snapshot of every device on connect, then
 * device state changes and device events as they happen. `?devices=a,b` limits
 * to some devices. Browsers cannot set headers on a WebSocket, so the token may
 * also come as `?access_token=`.
 */
export function eventRoutes(
  app: FastifyInstance,
  services: DeskServices,
  auth: TokenAuthenticator,
  log: Logger,
  /** Each device event as it may leave the gateway (no patron card ids). */
  publicEvent: (event: DeviceEvent) => DeviceEvent,
): void {
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
      const wanted = (device: string) => !only || only.has(device);
      const owner = {};
      const send: (message: EventMessage) => boolean = jsonSender(socket, log, 'event');
      // The API edge: a client hears an event before the gateway's bookkeeping runs.
      const edge = { edge: true };
      services.bus.on(
        'device.state',
        owner,
        (state) => {
          if (wanted(state.device)) send({ event: 'device.state', data: state });
        },
        edge,
      );
      services.bus.on(
        'device.event',
        owner,
        (event) => {
          if (wanted(event.device)) send({ event: 'device.event', data: publicEvent(event) });
        },
        edge,
      );
      socket.on('close', () => services.bus.removeAllListenersOf(owner));
      socket.on('error', () => services.bus.removeAllListenersOf(owner));
      // Clients only listen; anything they send is ignored.
      socket.on('message', () => {});
      send({ event: 'snapshot', data: { devices: services.devices().filter((d) => wanted(d.device)) } });
    },
  });
}

/** `?devices=a,b` (or repeated: `?devices=a&devices=b`) as a set; anything else means every device. */
function deviceFilter(devices: unknown): Set<string> | undefined {
  const parts = (typeof devices === 'string' ? [devices] : Array.isArray(devices) ? devices : [])
    .filter((part): part is string => typeof part === 'string')
    .flatMap((part) => part.split(','))
    .filter(Boolean);
  return parts.length ? new Set(parts) : undefined;
}
