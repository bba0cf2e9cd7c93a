import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/services.js';
import { ApiProblem } from '../problem.js';
import type { RouteBook } from '../routes.js';
import { deviceIdParams, deviceStateSchema } from '../schemas.js';

export function deviceRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  book.add(app, {
    method: 'GET',
    url: '/api/v1/devices',
    operationId: 'listDevices',
    summary: 'Every configured device with its health record',
    tag: 'devices',
    access: ['monitor', 'staff', 'kiosk'],
    response: z.object({ devices: z.array(deviceStateSchema) }),
    handler: () => ({ devices: services.devices() }),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/devices/:id',
    operationId: 'getDevice',
    summary: 'One device and its health record',
    tag: 'devices',
    access: ['monitor', 'staff', 'kiosk'],
    params: deviceIdParams,
    response: deviceStateSchema,
    problems: [404],
    handler: ({ params }) => {
      const device = services.device(params.id);
      if (!device)
        throw new ApiProblem(404, 'device_not_found', 'No such device', `no device "${params.id}"`);
      return device;
    },
  });
}
