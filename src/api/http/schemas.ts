import { z } from 'zod';

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
});

export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
});
