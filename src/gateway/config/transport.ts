/**
 * The pieces every device's config is built from: device ids, ports, and the
 * transports a device can be reached over. Each family's own schema (in its
 * folder under src/gateway/families) uses these.
 */
import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../core/config-values.js';

export { deviceIdSchema, portSchema };

export const tcpTransportSchema = z.strictObject({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: portSchema.min(1),
  connectTimeoutMs: z.number().int().positive().default(3000),
});

export const serialTransportSchema = z.strictObject({
  type: z.literal('serial'),
  path: z.string().min(1).describe('e.g. /dev/ttyUSB0 or /dev/serial/by-id/…'),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  rtscts: z.boolean().default(false),
});

export const lpTransportSchema = z.strictObject({
  type: z.literal('lp'),
  path: z.string().regex(/^\/dev\//, 'must be a device path such as /dev/usb/lp0'),
});

export const simulatorTransportSchema = z.strictObject({
  type: z.literal('simulator'),
  simulator: deviceIdSchema.describe('id of an entry under `simulators`'),
});

export const transportSchema = z.discriminatedUnion('type', [
  tcpTransportSchema,
  serialTransportSchema,
  lpTransportSchema,
  simulatorTransportSchema,
]);
export type TransportConfig = z.infer<typeof transportSchema>;
