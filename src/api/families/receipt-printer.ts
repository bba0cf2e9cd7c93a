/**
 * Receipt printers over the API: queue a receipt from a template (it prints
 * exactly once, when the printer is able), follow and retry jobs, list
 * templates. Jobs never carry the receipt's data, which may name a patron.
 */
import { z } from 'zod';
import { CarrelError } from '../../core/errors.js';
import { receiptPrinters } from '../../gateway/families/receipt-printer/index.js';
import { deviceIdParams, printJobSchema, receiptRequestSchema } from '../http/schemas.js';
import { type ApiModule, operation } from '../operations.js';
import { doneOnce } from '../request-ids.js';

const jobParams = deviceIdParams.extend({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid job id'),
});

const tag = 'printers';

export const receiptPrinterApi: ApiModule = {
  name: 'printers',
  problems: {
    not_a_printer: { status: 409, title: 'Device is not a receipt printer' },
    job_not_found: { status: 404, title: 'No such print job' },
    template_unknown: { status: 422, title: 'Unknown receipt template' },
    template_syntax: { status: 422, title: 'Receipt template has an error' },
    template_render_failed: { status: 422, title: 'Receipt could not be rendered' },
    encoding_unsupported: { status: 422, title: 'Code page not supported' },
    queue_full: { status: 503, title: 'Print queue is full' },
    job_not_retryable: { status: 409, title: 'The print job cannot be printed again in its state' },
    queue_stopped: { status: 503, title: 'The print queue is stopped' },
  },
  operations: ({ ports, requests }) => {
    const printer = (id: string) => ports.port(receiptPrinters, id);
    return [
      operation({
        method: 'POST',
        url: '/api/v1/printers/:id/receipts',
        operationId: 'printReceipt',
        summary: 'Queue a receipt from a template and data; it prints exactly once, when the printer is able',
        tag,
        access: ['kiosk', 'staff'],
        params: deviceIdParams,
        body: receiptRequestSchema,
        response: printJobSchema,
        status: 202,
        problems: [404, 409, 422, 503],
        mqtt: { action: 'printers.print', fields: { id: 'printer' } },
        // A kiosk that lost the answer and asks again with the same request id gets the job, not a second receipt.
        handler: (input) =>
          doneOnce(requests, 'printers.print', input, ({ requestId: _id, ...receipt }) =>
            printer(input.params.id).submit(receipt),
          ).then((job) => {
            input.reply?.header('location', `/api/v1/printers/${input.params.id}/jobs/${job.id}`);
            return job;
          }),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/printers/:id/jobs/:jobId',
        operationId: 'getPrintJob',
        summary: 'The state of one print job',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        params: jobParams,
        response: printJobSchema,
        problems: [404, 409],
        mqtt: { action: 'printers.job', fields: { id: 'printer', jobId: 'job' } },
        handler: ({ params }) => {
          const job = printer(params.id).job(params.jobId);
          // The id asked for is not repeated: what was pasted there may be a patron barcode or a token.
          if (!job)
            throw new CarrelError(
              'job_not_found',
              `printer "${params.id}" has no job with this id (GET …/jobs lists them)`,
            );
          return job;
        },
      }),
      operation({
        method: 'GET',
        url: '/api/v1/printers/:id/jobs',
        operationId: 'listPrintJobs',
        summary: 'Print jobs of a printer, newest first; filter by state',
        tag,
        access: ['staff', 'monitor'],
        params: deviceIdParams,
        query: z.object({ state: printJobSchema.shape.state.optional() }),
        response: z.object({ jobs: z.array(printJobSchema) }),
        problems: [404, 409],
        handler: ({ params, query }) => ({ jobs: printer(params.id).jobs(query) }),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/printers/:id/jobs/:jobId/retry',
        operationId: 'retryPrintJob',
        summary:
          'Queue again a job that is unconfirmed, failed or expired (a staff decision: it may print twice)',
        tag,
        access: ['staff'],
        params: jobParams,
        response: printJobSchema,
        status: 202,
        problems: [404, 409],
        handler: ({ params }) => printer(params.id).retry(params.jobId),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/printers/:id/templates',
        operationId: 'listReceiptTemplates',
        summary: 'Receipt templates available on this printer',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        params: deviceIdParams,
        response: z.object({ templates: z.array(z.string()) }),
        problems: [404, 409],
        handler: ({ params }) => ({ templates: printer(params.id).templates() }),
      }),
    ];
  },
};
