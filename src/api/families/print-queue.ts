/**
 * Print queues and print release over the API: the queues' state, the release
 * station's operations (print-station.ts), the print desk's (print-staff.ts),
 * the daily report as CSV, and the two pages, /release and /print-staff. A
 * print event never names who printed; this edge makes sure of it.
 */
import { z } from 'zod';
import type { DeviceEvent } from '../../devices/device-state.js';
import { printQueues } from '../../gateway/families/print-queue/index.js';
import { printPageRoutes } from '../http/resources/print-pages.js';
import { csvRoutes } from '../http/resources/stats.js';
import { type ApiModule, deviceGauge, operation } from '../operations.js';
import { queueSchema, reportCsv, reportSchema, sessionSchema } from './print-schemas.js';
import { dateQuery, staffOperations } from './print-staff.js';
import { stationOperations } from './print-station.js';

/** A job as a print event carries it: never who printed it. */
const jobEventSchema = z.object({
  queue: z.string(),
  jobId: z.number().int(),
  state: z.string().describe('the IPP job-state: pending-held, processing, completed, aborted, canceled…'),
  pages: z.number().int().nullable(),
  copies: z.number().int(),
  impressionsCompleted: z.number().int().nullable(),
});

/** Fields no print event may carry out of the gateway: they name or identify a patron. */
const PATRON_FIELDS = new Set(['owner', 'patron', 'user', 'name']);

export const printQueueApi: ApiModule = {
  name: 'print',
  gauges: {
    carrel_print_jobs_held: deviceGauge(
      printQueues.kind,
      'Jobs each print queue holds for release (never whose)',
      (detail) => detail.heldJobs,
    ),
    // Of those, the ones past their hold time the print server has not cancelled yet (its Cancel-Job
    // refused or unanswered, asked again each round): held there, never releasable. A number that
    // stays up tells IT to look at the print server.
    carrel_print_jobs_held_expired: {
      help: 'Of the jobs held, those past their hold time the print server has not cancelled yet (never whose)',
      labelNames: ['device'],
      *read(services) {
        const online = new Set(
          services
            .devices()
            .filter((d) => d.kind === printQueues.kind && d.status !== 'offline')
            .map((d) => d.device),
        );
        for (const entry of services.ports.all(printQueues)) {
          const status = entry.port.queueStatus();
          if (online.has(status.queue))
            yield { labels: { device: status.queue }, value: status.expiredHeldJobs };
        }
      },
    },
  },
  problems: {
    not_a_print_queue: { status: 409, title: 'Device is not a print queue' },
    print_queue_not_found: { status: 404, title: 'No such print queue' },
    print_queue_unavailable: { status: 503, title: 'The print server cannot be reached' },
    print_queue_printer_error: { status: 409, title: 'The printer cannot print now' },
    print_job_not_found: { status: 404, title: 'No such held job' },
    print_job_not_possible: { status: 409, title: 'The print server cannot do that to this job now' },
    print_job_already_released: { status: 409, title: 'The job was already released' },
    print_job_pages_unknown: { status: 409, title: 'The pages of the job are not known yet' },
    print_job_too_large: { status: 422, title: 'The job has more pages than one job may print' },
    print_release_refused: {
      status: 409,
      title: 'The print server did not release the job; the charge was refunded',
    },
    print_release_pending: {
      status: 202,
      title: 'The release will be completed or refunded when the print server answers',
    },
    print_release_not_found: { status: 404, title: 'No such release' },
    print_release_outcome_unknown: {
      status: 409,
      title:
        'Not known yet whether the job was printed; it is completed or refunded when the print server answers',
    },
    print_account_insufficient: { status: 402, title: 'The print account balance is too low' },
    print_account_currency_mismatch: { status: 422, title: 'The print account is kept in another currency' },
    print_account_empty: { status: 409, title: 'The print account has nothing to pay out' },
    print_balance_changed: { status: 409, title: 'The print balance is not the amount to pay out' },
    print_release_unsettled: {
      status: 409,
      title: 'A job of the patron may still be refunded; nothing was paid out',
    },
    ils_transfer_unavailable: { status: 503, title: 'Transfers from the ILS are not configured' },
    ils_transfer_pending: {
      status: 202,
      title: "The ILS's answer was lost; the transfer is completed or failed when the ILS says which",
    },
    ils_patron_not_found: { status: 404, title: 'The ILS does not know this card' },
    ils_credit_insufficient: {
      status: 402,
      title: "The patron's credit at the ILS does not cover the amount",
    },
    ils_account_unreachable: { status: 503, title: "The ILS's account API cannot be reached" },
    ils_account_refused: { status: 502, title: "The ILS's account API refused the request" },
    ils_account_bad_answer: { status: 502, title: "The ILS's account API answered unreadably" },
    ils_debit_not_found: { status: 409, title: 'The ILS has no debit for this transfer; nothing was moved' },
    refund_exceeds_charge: { status: 422, title: 'The refund is more than is left of the charge' },
    patron_invalid: { status: 422, title: 'The patron barcode is not valid' },
    patron_not_found: { status: 404, title: 'The ILS does not know this patron' },
    station_session_expired: { status: 401, title: 'The station session has ended' },
    document_unreadable: { status: 422, title: 'The document cannot be read' },
    document_password_required: { status: 422, title: 'The document needs a password' },
    document_empty: { status: 422, title: 'The document has no pages' },
    document_too_large: { status: 422, title: 'The document is too large' },
    document_timeout: { status: 422, title: 'Counting the pages took too long' },
    document_format_unknown: { status: 422, title: 'The pages of this kind of document cannot be counted' },
    page_counter_busy: { status: 503, title: 'Too many documents are being counted; try again in a moment' },
    ipp_bad_answer: { status: 502, title: 'The print server answered unreadably' },
    ipp_malformed: { status: 502, title: 'The print server answered unreadably' },
    ipp_truncated: { status: 502, title: 'The print server answered unreadably' },
    ipp_too_large: { status: 502, title: 'The print server answered too much' },
    ipp_refused: { status: 502, title: 'The print server refused the request' },
    // The desk's login refused (HTTP 401/403), or an operation its policy does not allow the desk's
    // user: a held job's document (CUPS-Get-Document), so its pages cannot be counted.
    ipp_not_authorized: { status: 502, title: 'The print server did not allow the desk to do this' },
  },
  events: {
    'print.job_held': {
      summary:
        'A job arrived at a queue and is held for release, its pages counted (null when they cannot be)',
      data: jobEventSchema,
    },
    'print.job_changed': {
      summary:
        "A job's state or the impressions the printer reports changed; its end too (completed, cancelled, aborted), read from the server once the job leaves its list of jobs not completed",
      data: jobEventSchema,
    },
    'print.job_expired': {
      summary: 'A held job was cancelled unreleased after the hold time; nothing was charged',
      data: jobEventSchema,
    },
    'print.job_stuck': {
      summary: 'A job is printing and has made no progress for the configured time',
      data: z.object({ queue: z.string(), jobId: z.number().int(), impressionsCompleted: z.number().int() }),
    },
  },
  operations: (services) => [
    operation({
      method: 'GET',
      url: '/api/v1/print/queues',
      operationId: 'listPrintQueues',
      summary: 'Each print queue: its printer, held jobs, and whether jobs can be released now',
      tag: 'print release',
      access: ['kiosk', 'staff', 'monitor'],
      response: z.object({ queues: z.array(queueSchema) }),
      mqtt: { action: 'print.queues' },
      handler: () => ({ queues: services.ports.all(printQueues).map((entry) => entry.port.queueStatus()) }),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/thumbnail',
      operationId: 'printStationThumbnail',
      summary:
        "Page one of one of the logged-in patron's held jobs, as a PNG (base64); null when it cannot be drawn, or is not theirs (a release-code queue's job without its code)",
      tag: 'print release',
      access: ['kiosk', 'staff'],
      body: z.strictObject({
        session: sessionSchema,
        queue: z.string().min(1).max(64),
        jobId: z.number().int().positive(),
        releaseCode: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .describe('the release code typed at the station, for a job on a release-code queue'),
      }),
      response: z.object({ png: z.string().nullable() }),
      problems: [401],
      handler: async ({ body }) => {
        const patron = services.printAccounts.stationPatron(body.session);
        const image = await services.printAccounts
          .thumbnail(
            body.queue,
            body.jobId,
            patron,
            body.releaseCode ? { releaseCode: body.releaseCode } : {},
          )
          .catch(() => undefined);
        return { png: image ? image.toString('base64') : null };
      },
    }),
    ...stationOperations(services),
    ...staffOperations(services),
  ],
  routes: (app, { services, book }) => {
    csvRoutes(app, (resource, asCsv) => {
      book.add(resource, {
        method: 'GET',
        url: '/api/v1/print/reports/daily.csv',
        operationId: 'printDailyReportCsv',
        summary: 'The cash report of one day as CSV (RFC 4180), one line per figure',
        tag: 'print release',
        access: ['staff'],
        query: dateQuery,
        response: reportSchema,
        problems: [400],
        handler: ({ query, request }) => {
          const report = services.printAccounts.dailyReport(query.date);
          if (request) asCsv(request, reportCsv(report), `print-report-${report.date}.csv`);
          return report;
        },
      });
    });
    printPageRoutes(app);
  },
  publicEvent: (event: DeviceEvent) => {
    if (!event.type.startsWith('print.')) return event;
    const data = Object.fromEntries(Object.entries(event.data).filter(([key]) => !PATRON_FIELDS.has(key)));
    return { ...event, data };
  },
};
