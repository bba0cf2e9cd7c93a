/**
 * `GET /api/v1/stats/measures`: every statistic of the desk in one shape — circulation, visitors
 * and alarms, printing, cash and payments — summed per local hour, day, ISO week, month or hour of
 * the week (the "when is the desk busy" heatmap), grouped by any of the measures' dimensions, as
 * JSON or CSV. `GET /api/v1/stats/catalog` lists the measures and their dimensions.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import { csvField } from '../../../gateway/statistics/csv.js';
import {
  isTimeZone,
  MEASURE_PERIODS,
  type MeasureReport,
  measureCatalog,
  measureReport,
} from '../../../gateway/statistics/measures.js';
import type { RouteBook } from '../routes.js';
import { csvRoutes, wantsCsv } from './stats.js';

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const name = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'not a valid name');
const list = (what: string) =>
  z
    .string()
    .max(2000)
    .describe(`comma-separated ${what}`)
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(name).max(50));

/** The names the desk's measures query takes: its catalog's measures and their dimensions. */
interface CatalogNames {
  measures: ReadonlySet<string>;
  dimensions: ReadonlySet<string>;
}

/**
 * Refuses each of `names` not among `known` in words that list them, never repeating it (a typo
 * may be anything), at the index it has in the list.
 */
const among =
  (known: () => ReadonlySet<string>, what: string) =>
  (names: readonly string[], context: z.RefinementCtx) => {
    const allowed = known();
    names.forEach((name, index) => {
      if (allowed.has(name)) return;
      context.addIssue({
        code: 'custom',
        path: [index],
        message: `not ${what}: one of ${[...allowed].sort().join(', ')}`,
      });
    });
  };

/**
 * The dimensions a report may be grouped by: those of the desk's measures (the catalog's). One
 * that is not is refused in words that list them, never repeated (a typo may be anything).
 */
const groupings = (dimensions: () => ReadonlySet<string>) =>
  z
    .string()
    .max(2000)
    .describe(
      'comma-separated dimensions kept apart (every other one is summed over): see /api/v1/stats/catalog',
    )
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).max(50).superRefine(among(dimensions, "a dimension of the desk's measures")));

/**
 * The measures query, its measures, groupings and filters checked against the catalog's names
 * (read per request).
 */
const measureQueryOf = (catalog: () => CatalogNames) =>
  z.object({
    from: instant.describe(
      'start of the range, ISO 8601 (widened to the hour, or the quarter hour in a zone a half or quarter hour off UTC)',
    ),
    to: instant.describe('end of the range, exclusive, ISO 8601 (at most 366 days after from)'),
    measure: list('measures (all when absent): see /api/v1/stats/catalog')
      .superRefine(among(() => catalog().measures, 'a measure the desk keeps'))
      .optional(),
    period: z
      .enum(MEASURE_PERIODS)
      .default('day')
      .describe(
        'hour, day, week (ISO, from Monday), month, weekday-hour (1-14 = Monday 14:00–15:00) or total',
      ),
    groupBy: groupings(() => catalog().dimensions).optional(),
    where: z
      .string()
      .max(2000)
      .regex(
        /^([a-z][a-z0-9_]{0,31}:[A-Za-z0-9._:@-]{0,64})(,[a-z][a-z0-9_]{0,31}:[A-Za-z0-9._:@-]{0,64})*$/,
        {
          message: 'dimension:value pairs, comma-separated',
        },
      )
      .superRefine((pairs, context) => {
        // A pair without its colon is the pattern's to refuse; the dimension of each that has one is checked.
        const dimensions = pairs.split(',').map((pair) => pair.split(':', 1)[0] ?? '');
        if (pairs.split(',').every((pair) => pair.includes(':')))
          among(() => catalog().dimensions, "a dimension of the desk's measures")(dimensions, context);
      })
      .optional()
      .describe('only rows with these dimension values, e.g. gate:gate-1,outcome:refused'),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'not a time zone this desk knows')
      .optional()
      .describe("IANA time zone the periods are cut in (the desk's own by default)"),
    format: z.enum(['json', 'csv']).optional().describe('csv, or send Accept: text/csv'),
  });

const reportSchema = z.object({
  from: z.string(),
  to: z.string(),
  period: z.enum(MEASURE_PERIODS),
  timeZone: z.string(),
  groupBy: z.array(z.string()),
  rows: z.array(
    z.object({
      measure: z.string(),
      period: z.string().optional(),
      dims: z.record(z.string(), z.string()),
      value: z.number().int(),
    }),
  ),
});

const catalogSchema = z.object({
  measures: z.array(
    z.object({
      name: z.string(),
      summary: z.string(),
      unit: z.enum(['count', 'minor']),
      dimensions: z.array(z.string()),
    }),
  ),
});

/** A measure report as CSV (RFC 4180): measure, period, the dimensions grouped by, value. */
export function measuresCsv(report: MeasureReport): string {
  const dims = [...new Set(report.rows.flatMap((row) => Object.keys(row.dims)))].sort();
  const columns = ['measure', ...(report.period === 'total' ? [] : ['period']), ...dims, 'value'];
  const lines = [columns.join(',')];
  for (const row of report.rows)
    lines.push(
      [
        row.measure,
        ...(report.period === 'total' ? [] : [row.period ?? '']),
        ...dims.map((dim) => row.dims[dim] ?? ''),
        String(row.value),
      ]
        .map(csvField)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Every measure of a period in one spreadsheet-friendly CSV file for leadership: one line per
 * measure, local period and combination of its dimensions, with the measure's unit (a count, or
 * money in minor units with its currency).
 */
export function measuresExportCsv(report: MeasureReport, units: ReadonlyMap<string, string>): string {
  const dims = [...new Set(report.rows.flatMap((row) => Object.keys(row.dims)))].sort();
  const lines = [['measure', 'unit', 'period', ...dims, 'value'].join(',')];
  for (const row of report.rows)
    lines.push(
      [
        row.measure,
        units.get(row.measure) ?? '',
        row.period ?? '',
        ...dims.map((dim) => row.dims[dim] ?? ''),
        String(row.value),
      ]
        .map(csvField)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

export function measureRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  const sources = services.measures;
  const measureQuery = measureQueryOf(() => {
    const measures = measureCatalog(sources);
    return {
      measures: new Set(measures.map((measure) => measure.name)),
      dimensions: new Set(measures.flatMap((measure) => measure.dimensions)),
    };
  });
  const exportQuery = z.object({
    from: measureQuery.shape.from,
    to: measureQuery.shape.to,
    period: z.enum(['day', 'week', 'month']).default('day').describe('day, week (ISO, from Monday) or month'),
    timeZone: measureQuery.shape.timeZone,
  });
  book.add(app, {
    method: 'GET',
    url: '/api/v1/stats/catalog',
    operationId: 'getMeasureCatalog',
    summary:
      'The measures the desk keeps (circulation, visitors, alarms, printing, cash, payments) and their dimensions',
    tag: 'statistics',
    access: ['staff', 'monitor'],
    response: catalogSchema,
    handler: () => ({
      measures: measureCatalog(sources).map((m) => ({ ...m, dimensions: [...m.dimensions] })),
    }),
  });
  csvRoutes(app, (resource, asCsv) => {
    book.add(resource, {
      method: 'GET',
      url: '/api/v1/stats/export',
      operationId: 'exportMeasures',
      summary:
        'Every measure of a period, each by all its dimensions, per day, week or month, in one CSV file for a spreadsheet',
      tag: 'statistics',
      access: ['staff', 'monitor'],
      query: exportQuery,
      response: z.string().describe('text/csv: measure, unit, period, every dimension, value'),
      problems: [400],
      handler: ({ query, request }) => {
        const catalog = measureCatalog(sources);
        const report = measureReport(sources, {
          from: Date.parse(query.from),
          to: Date.parse(query.to),
          period: query.period,
          groupBy: [...new Set(catalog.flatMap((m) => m.dimensions))],
          ...(query.timeZone ? { timeZone: query.timeZone } : {}),
        });
        const csv = measuresExportCsv(report, new Map(catalog.map((m) => [m.name, m.unit])));
        if (request)
          asCsv(request, csv, `carrel-statistics-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`);
        return csv;
      },
    });
    book.add(resource, {
      method: 'GET',
      url: '/api/v1/stats/measures',
      operationId: 'getMeasures',
      summary:
        'Every statistic of the desk in one shape, per local hour, day, week, month or hour of the week, grouped by dimension; JSON or CSV',
      tag: 'statistics',
      access: ['staff', 'monitor'],
      query: measureQuery,
      response: reportSchema,
      problems: [400],
      handler: ({ query, request }) => {
        const where = Object.fromEntries(
          (query.where?.split(',') ?? []).map((pair) => {
            const at = pair.indexOf(':');
            return [pair.slice(0, at), pair.slice(at + 1)];
          }),
        );
        const report = measureReport(sources, {
          from: Date.parse(query.from),
          to: Date.parse(query.to),
          period: query.period,
          ...(query.measure?.length ? { measures: query.measure } : {}),
          ...(query.groupBy ? { groupBy: query.groupBy } : {}),
          where,
          ...(query.timeZone ? { timeZone: query.timeZone } : {}),
        });
        if (request && wantsCsv(query.format, request.headers.accept))
          asCsv(
            request,
            measuresCsv(report),
            `carrel-measures-${report.from.slice(0, 13)}-${report.to.slice(0, 13)}.csv`,
          );
        return report;
      },
    });
  });
}
