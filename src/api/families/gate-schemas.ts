/** The security gates' API shapes: they validate, and they are the OpenAPI document. */
import { z } from 'zod';

export const alarmSchema = z
  .object({
    id: z.string(),
    uid: z.string().nullable(),
    item: z
      .object({
        id: z.string().describe('the item barcode the tag carries'),
        format: z.string(),
        isil: z.string().optional(),
        set: z.object({ part: z.number().int(), parts: z.number().int() }).optional(),
      })
      .nullable()
      .describe(
        'null for a tag Carrel cannot read (memoryHex then holds its memory), and in the gate’s state (GET /api/v1/gates, …/:id) for a caller without the staff scope (monitor, kiosk): when and why it alarmed, not which item, with uid and memoryHex null too',
      ),
    memoryHex: z.string().nullable(),
    reason: z
      .enum(['afi', 'eas', 'reported', 'ils'])
      .describe('what said it was not lent: its AFI, its EAS bit, the gate, or the ILS'),
    ils: z
      .enum(['not_charged', 'unanswered', 'no_item'])
      .nullable()
      .describe('what the ILS said when the policy asked it; unanswered: the tag decided'),
    direction: z.enum(['in', 'out']).nullable().describe('when the gate’s antennas say'),
    afi: z.number().int().nullable(),
    eas: z.boolean().nullable(),
    antenna: z.number().int().nullable(),
    rssi: z.number().nullable(),
    time: z.string(),
  })
  .meta({ id: 'GateAlarm' });

export const alarmStateSchema = z.object({ on: z.boolean(), loops: z.number().int() });
export const countsSchema = z.object({ in: z.number().int(), out: z.number().int(), time: z.string() });

export const visitorsSchema = z
  .object({
    counter: countsSchema.nullable().describe('the gate’s own counter as read when it last moved'),
    today: z
      .object({ in: z.number().int(), out: z.number().int(), since: z.string() })
      .describe('counted since the counting day began (the daily reset)'),
    occupancy: z.number().int().describe('people inside: in − out since opening, never below zero'),
    occupancySince: z.string(),
  })
  .meta({ id: 'GateVisitors' });

const titleLookupSchema = z
  .number()
  .int()
  .nullable()
  .describe(
    'how long after an alarm its title may still come (ms, from the ILS link’s timeouts): by then gate.alarm_enriched or gate.alarm_not_enriched was sent; null: no ILS to ask',
  );

export const statusSchema = z.object({
  alarm: alarmStateSchema.nullable().describe('the alarm loops as last read back; null until read'),
  counts: countsSchema.nullable().describe('the people counter as last read; null until read'),
  visitors: visitorsSchema.nullable().describe('null for a gate without a people counter'),
  recentAlarms: z.array(alarmSchema).describe('alarms since Carrel started, newest first (at most 50)'),
  alarms: z.number().int().describe('alarms since Carrel started'),
  titleLookupMs: titleLookupSchema,
});

export const gateListSchema = z.object({
  gates: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      status: z.enum(['online', 'degraded', 'offline']),
      reason: z.string().nullable().describe('why it is not fully online'),
      alarm: alarmStateSchema.nullable(),
      visitors: visitorsSchema.nullable(),
      alarms: z.number().int().describe('alarms since Carrel started'),
      lastAlarm: alarmSchema.nullable(),
      titleLookupMs: titleLookupSchema,
    }),
  ),
});

export const alarmRecordSchema = z
  .object({
    id: z.string(),
    gate: z.string(),
    time: z.string(),
    direction: z.enum(['in', 'out']).nullable(),
    item: z.string().nullable().describe('the item barcode; null for a tag that could not be read'),
    uid: z.string().nullable(),
    title: z.string().nullable().describe('as the ILS gave it, once it has'),
    lookup: z
      .union([
        z.object({
          answered: z.literal(true),
          known: z.boolean().describe('the ILS knows the item (false: not in its catalogue)'),
          callNumber: z.string().nullable().describe('the CS field where the ILS sends one'),
          permanentLocation: z
            .string()
            .nullable()
            .describe('where the item belongs (AQ); null for an alarm kept before Carrel kept it'),
          circulationStatus: z.string().nullable().describe('SIP2 circulation status: available, charged…'),
        }),
        z.object({
          answered: z.literal(false),
          reason: z
            .enum(['no_answer', 'unreachable', 'busy', 'failed', 'no_ils', 'not_kept', 'interrupted'])
            .describe(
              'as gate.alarm_not_enriched says it; not_kept: an alarm kept by a Carrel that kept only titles, with none; interrupted: Carrel stopped while the lookup waited for the ILS',
            ),
          message: z.string().describe('why, in the words a desk reads: “the library system did not answer”'),
        }),
      ])
      .nullable()
      .describe(
        'what the title lookup came to, as gate.alarm_enriched or gate.alarm_not_enriched said it; null while it runs (or for an unreadable tag)',
      ),
    reason: z.enum(['afi', 'eas', 'reported', 'ils']),
    ils: z.enum(['not_charged', 'unanswered', 'no_item']).nullable(),
    acknowledged: z
      .object({
        by: z
          .string()
          .describe(
            'the name of the token that acknowledged it; "at this desk" on a desk without tokens (this machine only, where no one holds a token)',
          ),
        at: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'GateAlarmRecord' });

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

export const alarmsQuery = z.object({
  from: instant.optional().describe('oldest alarm time, ISO 8601 (default: all kept)'),
  to: instant.optional().describe('alarms before this time, ISO 8601 (default: now and later)'),
  gate: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'not a valid device id')
    .optional(),
  open: flag.optional().describe('true: only alarms nobody has acknowledged'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(100).optional().describe('the `next` of the page before: the page of older alarms'),
});

export const alarmPageSchema = z.object({
  alarms: z.array(alarmRecordSchema).describe('newest first'),
  next: z.string().nullable().describe('give as `after` for older alarms; null on the last page'),
});

export const alarmParams = z.object({
  alarm: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'not a valid alarm id'),
});

export const alarmEnrichedSchema = z.object({
  alarm: z.string().describe('the alarm’s id'),
  item: z.string().describe('the item barcode asked about'),
  known: z.boolean().describe('the ILS knows the item'),
  title: z.string().nullable(),
  callNumber: z
    .string()
    .nullable()
    .describe('the CS field where the ILS sends one; a location is not a call number'),
  permanentLocation: z.string().nullable().describe('where the item belongs (AQ), a location code'),
  circulationStatus: z.string().nullable().describe('SIP2 circulation status: available, charged, missing…'),
  dueDate: z.string().nullable().describe('ISO 8601 when readable, else the ILS’s text'),
  checkedOut: z.boolean().describe('charged to someone (never who)'),
  time: z.string(),
});

export const alarmNotEnrichedSchema = z.object({
  alarm: z.string().describe('the alarm’s id'),
  item: z.string().describe('the item barcode that was to be asked about'),
  reason: z
    .enum(['no_answer', 'unreachable', 'busy', 'failed', 'no_ils'])
    .describe('no answer in time, the ILS not reachable, too many lookups at once, another failure, no ILS'),
  message: z.string().describe('why, in the words a desk reads: “the library system did not answer”'),
  time: z.string(),
});

export const alarmAcknowledgedSchema = z.object({
  alarm: z.string().describe('the alarm’s id'),
  acknowledged: z.object({
    by: z
      .string()
      .describe(
        'the name of the token that acknowledged it; "at this desk" on a desk without tokens (this machine only, where no one holds a token)',
      ),
    at: z.string(),
  }),
  time: z.string(),
});

export const countEventSchema = z.object({
  in: z.number().int().describe('the gate’s own counter'),
  out: z.number().int(),
  reset: z.boolean().describe('the counter was just set to zero'),
  time: z.string(),
  today: z.object({ in: z.number().int(), out: z.number().int(), since: z.string() }),
  occupancy: z.number().int(),
});

export const alarmStateEventSchema = alarmStateSchema.extend({ time: z.string() });
