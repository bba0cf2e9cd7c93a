import { z } from 'zod';
import { certAndKeyTogether, ilsConfigSchema, ilsTlsFields } from '../../../devices/ils/config.js';
import { deviceIdSchema, portSchema, simulatorTransportSchema } from '../../config/transport.js';

/** How the ILS is reached: SIP2 over TCP, over TLS, or an `ils` simulator of this desk. */
export const ilsTransportSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tcp'), host: z.string().min(1), port: portSchema.min(1) }),
  z
    .strictObject({
      type: z.literal('tls'),
      host: z.string().min(1),
      port: portSchema.min(1),
      ...ilsTlsFields,
    })
    .refine(certAndKeyTogether.check, { message: certAndKeyTogether.message, path: ['keyFile'] }),
  simulatorTransportSchema,
]);
export type IlsTransportConfig = z.infer<typeof ilsTransportSchema>;

/**
 * The ILS over SIP2, an ordinary device (`kind: ils`): its transport, its 93
 * login, and how the link behaves (pool, heartbeat, timeouts, charset…). A
 * version-1 file's `ils:` section becomes this device, with the id `ils`.
 */
export const ilsDeviceSchema = ilsConfigSchema
  .omit({ host: true, port: true, tls: true })
  .extend({
    id: deviceIdSchema,
    kind: z.literal('ils'),
    name: z.string().optional(),
    transport: ilsTransportSchema,
  })
  .strict();
export type IlsDeviceConfig = z.infer<typeof ilsDeviceSchema>;
