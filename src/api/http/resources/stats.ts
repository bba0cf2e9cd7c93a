import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  localStatisticsReport,
  STATISTICS_DIMENSIONS,
  StatisticsRangeError,
  type StatisticsService,
  statisticsCsv,
} from '../../../gateway/statistics/index.js';
import { isTimeZone } from '../../../gateway/statistics/measures.js';
import { ApiProblem } from '../problem.js';
import type { RouteBook } from '../routes.js';

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const label = z.string().regex(/^[A-Za-z0-9._:@-]{1,64}$/, 'not a valid name');

const statsQuery = z.object({
  // (0.1's words for from and groupBy, kept: the public API's parameters are kept as they were.)
  from: instant.describe('start of the range, ISO 8601 (widened to the hour)'),
  to: instant.describe('end of the range, exclusive, ISO 8601 (at most 366 days after from)'),
  groupBy: z
    .string()
    .default('hour,terminal')
    .describe(`comma-separated: ${STATISTICS_DIMENSIONS.join(', ')}`)
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(STATISTICS_DIMENSIONS)).min(1)),
  terminal: label.optional(),
  kind: label.optional(),
  outcome: z.enum(['ok', 'refused', 'failed']).optional(),
  timeZone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'not a time zone this desk knows')
    .optional()
    .describe(
      "IANA time zone the hours and days are cut in (the desk's own by default); the range is widened to the quarter hour in a zone a half or quarter hour off UTC",
    ),
  format: z.enum(['json', 'csv']).optional().describe('csv, or send Accept: text/csv'),
});

const statsRow = z.object({
  hour: z.string().optional().describe('the instant the local hour begins, ISO 8601'),
  day: z.string().optional().describe('the local day, YYYY-MM-DD (23 or 25 hours when the clocks change)'),
  terminal: z.string().optional(),
  kind: z.string().optional(),
  outcome: z.enum(['ok', 'refused', 'failed']),
  reason: z.string().optional(),
  offline: z.boolean(),
  count: z.number().int(),
});

const statsReport = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string().describe('the IANA time zone the days and hours are cut in'),
  groupBy: z.array(z.enum(STATISTICS_DIMENSIONS)),
  rows: z.array(statsRow),
});

/**
 * GET /api/v1/stats: transaction counts per hour, day, terminal, kind and
 * reason, as JSON or (Accept: text/csv, or ?format=csv) as CSV. Hours and days are the desk's
 * own, in its time zone (or the one asked for), as the measures and the visitor counts cut them.
 */
export function statsRoutes(app: FastifyInstance, book: RouteBook, stats: StatisticsService): void {
  csvRoutes(app, (resource, asCsv) => {
    book.add(resource, {
      method: 'GET',
      url: '/api/v1/stats',
      operationId: 'getStatistics',
      summary:
        'Transaction counts (checkouts, checkins, renewals, refusals by reason, offline) per hour, day, terminal or kind; JSON or CSV',
      tag: 'statistics',
      access: ['staff', 'monitor'],
      query: statsQuery,
      response: statsReport,
      problems: [400],
      handler: ({ query, request }) => {
        let report: z.infer<typeof statsReport>;
        try {
          report = localStatisticsReport(stats, {
            from: query.from,
            to: query.to,
            groupBy: query.groupBy,
            ...(query.terminal ? { terminal: query.terminal } : {}),
            ...(query.kind ? { kind: query.kind } : {}),
            ...(query.outcome ? { outcome: query.outcome } : {}),
            ...(query.timeZone ? { timeZone: query.timeZone } : {}),
          });
        } catch (error) {
          if (error instanceof StatisticsRangeError)
            throw new ApiProblem(400, error.code, 'Invalid statistics range', error.message);
          throw error;
        }
        if (request && wantsCsv(query.format, request.headers.accept)) {
          const filename = `carrel-stats-${report.from.slice(0, 13)}-${report.to.slice(0, 13)}.csv`;
          asCsv(request, statisticsCsv(report), filename);
        }
        return report;
      },
    });
  });
}

/** In a handler: answer this request with `text` as a CSV file instead of the JSON it returns. */
export type CsvAnswer = (request: FastifyRequest, text: string, filename: string) => void;

/**
 * Routes whose answer may go out as CSV (the statistics, and a family's own counts beside them).
 * The route book answers JSON; this fastify context swaps in the CSV text before sending, so
 * auth, validation and problems stay the book's.
 */
export function csvRoutes(
  app: FastifyInstance,
  routes: (resource: FastifyInstance, asCsv: CsvAnswer) => void,
): void {
  app.register(async (resource) => {
    const csvFor = new WeakMap<FastifyRequest, { text: string; filename: string }>();
    resource.addHook('onSend', async (request, reply, payload) => {
      const csv = csvFor.get(request);
      if (!csv || reply.statusCode !== 200) return payload;
      reply.header('content-type', 'text/csv; charset=utf-8; header=present');
      reply.header('content-disposition', `attachment; filename="${csv.filename.replaceAll(':', '')}"`);
      return csv.text;
    });
    routes(resource, (request, text, filename) => csvFor.set(request, { text, filename }));
  });
}

/** `?format=csv`, or no format and an Accept header that prefers text/csv. */
export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  return format === 'csv' || (format === undefined && prefersCsv(accept));
}

/** True when the Accept header asks for text/csv at least as much as for JSON. */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...parameters] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = parameters.find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (!Number.isFinite(weight)) continue;
    if (type === 'text/csv') csv = Math.max(csv, weight);
    else if (type === 'application/json' || type === '*/*') json = Math.max(json, weight);
  }
  return csv > 0 && csv >= json;
}
