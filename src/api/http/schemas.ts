import { z } from 'zod';
import { WRITABLE_TYPES_OF_USAGE } from '../../protocols/rfid/index.js';
import { optionalRequestId } from '../request-ids.js';

/** Response schemas of the HTTP API. They document the API (OpenAPI) and are the contract with clients. */
export const deviceStateSchema = z
  .object({
    device: z.string().describe('device id from the configuration'),
    kind: z.string().describe('device family, e.g. receipt-printer'),
    status: z.enum(['online', 'degraded', 'offline']),
    since: z.string().describe('ISO time of the last status change'),
    reason: z.string().nullable().describe('why it is not fully online, in plain words'),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
    reconnects: z.number().int().describe('successful reconnections since start'),
    detail: z.record(z.string(), z.unknown()).describe('family-specific detail; never patron data'),
  })
  .meta({ id: 'DeviceState' });

export const deviceIdParams = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'not a valid device id'),
});

export const printJobSchema = z
  .object({
    id: z.string(),
    printer: z.string(),
    template: z.string(),
    state: z.enum(['queued', 'printing', 'printed', 'failed', 'unconfirmed', 'expired']),
    createdAt: z.string(),
    updatedAt: z.string(),
    attempts: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    notice: z
      .string()
      .optional()
      .describe(
        'in words, what did not print as written: characters the printer\'s code page lacks, printed as "?" (letters it lacks print without their marks: Ş as S)',
      ),
  })
  .meta({ id: 'PrintJob' });

const templateName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'not a valid template name');

export const receiptRequestSchema = z.object({
  template: templateName.describe(
    'checkout, checkin, fines, print-release, test-page, or a library template',
  ),
  data: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('values for the template placeholders ({{patron.name}}, {{#items}}…)'),
  requestId: optionalRequestId,
});

export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  listening: z
    .object({
      mqtt: z
        .string()
        .optional()
        .describe("the embedded MQTT broker's URL, as it listens (a port chosen at start included)"),
    })
    .optional(),
  storage: z
    .object({
      database: z.string().describe("the full path of the desk's database, as it opened it"),
    })
    .optional()
    .describe(
      'only to a caller whose token has the monitor (or admin) scope, or on a desk without tokens: carrel doctor checks this database, not one found from where it runs',
    ),
});

/** An ISO 15693 UID as printed: 16 hex digits, `E0` first (any case in, upper case out). */
export const tagUidSchema = z
  .string()
  .regex(/^[Ee]0[0-9A-Fa-f]{14}$/, 'not an ISO 15693 UID (16 hex digits, E0…)')
  .transform((uid) => uid.toUpperCase());

export const rfidTagParams = z.object({ reader: deviceIdParams.shape.id, uid: tagUidSchema });

const setSchema = z.object({ part: z.number().int(), parts: z.number().int() });

export const rfidItemSchema = z
  .object({
    format: z.string().describe('28560-3, 28560-2, 3m, 28560-4 or blank'),
    byteOrder: z.enum(['logical', 'block-reversed']),
    primaryItemId: z.string().describe("'' on a blank tag; a patron card's is the patron's id"),
    set: setSchema.optional(),
    typeOfUsage: z.string().optional().describe('circulating, patron-card, …'),
    ownerLibrary: z.string().optional().describe('as stored on the tag'),
    isil: z.string().optional().describe('owner library ISIL, e.g. DK-718500'),
    crc: z.enum(['valid', 'invalid', 'absent']),
    warnings: z.array(z.string()).describe('decoder warning codes'),
  })
  .meta({ id: 'RfidItem' });

export const rfidTagSchema = z
  .object({
    uid: z.string(),
    item: rfidItemSchema.nullable(),
    secured: z
      .boolean()
      .nullable()
      .describe(
        "as the reader's security.method secures: the AFI, the EAS bit, or either; null when not known",
      ),
    afi: z.number().int().nullable(),
    eas: z
      .boolean()
      .nullable()
      .describe('the EAS bit, read where the reader secures by it and can read it; null when not read'),
    dsfid: z.number().int().nullable(),
    readError: z.string().optional(),
  })
  .meta({ id: 'RfidTag' });

export const rfidTagsSchema = z.object({
  tags: z.array(rfidTagSchema),
  incompleteSets: z.array(
    z.object({
      primaryItemId: z.string(),
      ownerLibrary: z.string().optional().describe('the owning library (ISIL), when the tags name one'),
      parts: z.number().int(),
      present: z.array(z.number().int()),
      missing: z.array(z.number().int()),
    }),
  ),
});

export const rfidSecurityRequestSchema = z.strictObject({ secured: z.boolean() });

export const rfidSecuritySchema = z.object({
  uid: z.string(),
  secured: z.boolean(),
  status: z.enum(['done', 'pending']).describe('pending: the tag left mid-write; retried when it is back'),
  reason: z.string().optional(),
});

export const rfidProgramRequestSchema = z.strictObject({
  format: z.enum(['28560-3', '28560-2']),
  primaryItemId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII only'),
  isil: z
    .string()
    .regex(/^[A-Za-z0-9:/-]{1,16}$/, 'not an ISIL')
    .optional(),
  set: z
    .strictObject({ part: z.number().int().min(1).max(255), parts: z.number().int().min(1).max(255) })
    .refine((set) => set.part <= set.parts, 'part must not exceed parts')
    .optional(),
  typeOfUsage: z.enum(WRITABLE_TYPES_OF_USAGE).optional(),
  lock: z.boolean().default(false).describe('lock the written data blocks (never the AFI)'),
});
