import { z } from 'zod';
import { CarrelError } from '../../../core/errors.js';
import { type ApiModule, operation } from '../../operations.js';
import { deviceIdParams, deviceStateSchema } from '../schemas.js';

/** Every configured device (the ILS link included) with its health record. */
export const deviceApi: ApiModule = {
  name: 'devices',
  operations: (services) => [
    operation({
      method: 'GET',
      url: '/api/v1/devices',
      operationId: 'listDevices',
      summary: 'Every configured device with its health record',
      tag: 'devices',
      access: ['monitor', 'staff', 'kiosk'],
      response: z.object({ devices: z.array(deviceStateSchema) }),
      mqtt: { action: 'devices.list' },
      handler: () => ({ devices: services.devices() }),
    }),

    operation({
      method: 'GET',
      url: '/api/v1/devices/:id',
      operationId: 'getDevice',
      summary: 'One device and its health record',
      tag: 'devices',
      access: ['monitor', 'staff', 'kiosk'],
      params: deviceIdParams,
      response: deviceStateSchema,
      problems: [404],
      mqtt: { action: 'devices.get', fields: { id: 'device' } },
      handler: ({ params }) => {
        const device = services.device(params.id);
        if (!device) throw new CarrelError('device_not_found', `no device "${params.id}"`);
        return device;
      },
    }),

    operation({
      method: 'POST',
      url: '/api/v1/devices/:id/reconnect',
      operationId: 'reconnectDevice',
      summary:
        'Drop the device’s link and connect again now, without waiting out the backoff; answers its health record after that attempt',
      tag: 'devices',
      access: ['admin'],
      params: deviceIdParams,
      response: deviceStateSchema,
      problems: [404],
      mqtt: { action: 'devices.reconnect', fields: { id: 'device' } },
      handler: ({ params }) => services.reconnectDevice(params.id),
    }),
  ],
};
