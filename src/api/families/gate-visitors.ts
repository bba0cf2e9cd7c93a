/**
 * `GET /api/v1/stats/visitors`: the people the gates counted, beside the desk's transaction
 * statistics (`/api/v1/stats`), grouped by hour, day and gate — the desk's own days and hours, in
 * its time zone (or the one asked for) as `/api/v1/stats/measures` cuts them — as JSON or
 * (`format=csv`, or Accept: text/csv) as CSV.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import {
  VISITOR_DIMENSIONS,
  type VisitorReport,
  visitorReport,
} from '../../gateway/families/gate/across-gates.js';
import { gates } from '../../gateway/families/gate/index.js';
import { csvField } from '../../gateway/statistics/csv.js';
import { isTimeZone } from '../../gateway/statistics/measures.js';
import { csvRoutes, wantsCsv } from '../http/resources/stats.js';
import type { RouteBook } from '../http/routes.js';

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const visitorQuery = z.object({
  from: instant.describe(
    'start of the range, ISO 8601 (widened to the hour, or the quarter hour in a zone a half or quarter hour off UTC)',
  ),
  to: instant.describe('end of the range, exclusive, ISO 8601 (at most 366 days after from)'),
  groupBy: z
    .string()
    .default('day,gate')
    .describe(`comma-separated: ${VISITOR_DIMENSIONS.join(', ')} (the local hour and day, in the time zone)`)
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(VISITOR_DIMENSIONS)).min(1)),
  gate: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'not a valid device id')
    .optional(),
  timeZone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'not a time zone this desk knows')
    .optional()
    .describe("IANA time zone the days and hours are cut in (the desk's own by default)"),
  format: z.enum(['json', 'csv']).optional().describe('csv, or send Accept: text/csv'),
});

const visitorReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string().describe('the IANA time zone the days and hours are cut in'),
  groupBy: z.array(z.enum(VISITOR_DIMENSIONS)),
  rows: z.array(
    z.object({
      hour: z.string().optional().describe('the instant the local hour begins, ISO 8601'),
      day: z
        .string()
        .optional()
        .describe('the local day, YYYY-MM-DD (23 or 25 hours when the clocks change)'),
      gate: z.string().optional(),
      in: z.number().int().describe('people who came in'),
      out: z.number().int().describe('people who went out'),
    }),
  ),
});

const COLUMNS = ['hour', 'day', 'gate', 'in', 'out'] as const;

/** A visitor report as CSV (RFC 4180): the grouped dimensions, then in and out. */
export function visitorsCsv(report: VisitorReport): string {
  const columns = COLUMNS.filter(
    (column) => column === 'in' || column === 'out' || (report.groupBy as readonly string[]).includes(column),
  );
  const lines = [columns.join(',')];
  for (const row of report.rows)
    lines.push(columns.map((column) => csvField(String(row[column] ?? ''))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function visitorRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  csvRoutes(app, (resource, asCsv) => {
    book.add(resource, {
      method: 'GET',
      url: '/api/v1/stats/visitors',
      operationId: 'getVisitorStatistics',
      summary: 'People counted in and out by the security gates per hour, day or gate; JSON or CSV',
      tag: 'statistics',
      access: ['staff', 'monitor'],
      query: visitorQuery,
      response: visitorReportSchema,
      problems: [400],
      handler: ({ query, request }) => {
        const report = visitorReport(services.ports.all(gates), {
          from: Date.parse(query.from),
          to: Date.parse(query.to),
          groupBy: query.groupBy,
          ...(query.gate ? { gate: query.gate } : {}),
          ...(query.timeZone ? { timeZone: query.timeZone } : {}),
        });
        if (request && wantsCsv(query.format, request.headers.accept))
          asCsv(
            request,
            visitorsCsv(report),
            `carrel-visitors-${report.from.slice(0, 13)}-${report.to.slice(0, 13)}.csv`,
          );
        return report;
      },
    });
  });
}
