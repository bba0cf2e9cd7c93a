import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/services.js';
import { ApiProblem } from '../problem.js';
import type { RouteBook } from '../routes.js';
import { deviceIdParams, printJobSchema, receiptRequestSchema } from '../schemas.js';

const jobParams = deviceIdParams.extend({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid job id'),
});

export function printerRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  const { printers } = services;

  book.add(app, {
    method: 'POST',
    url: '/api/v1/printers/:id/receipts',
    operationId: 'printReceipt',
    summary: 'Queue a receipt from a template and data; it prints exactly once, when the printer is able',
    tag: 'printers',
    access: ['kiosk', 'staff'],
    params: deviceIdParams,
    body: receiptRequestSchema,
    response: printJobSchema,
    status: 202,
    problems: [404, 409, 422, 503],
    handler: ({ params, body, reply }) => {
      const job = printers.submit(params.id, body);
      reply.header('location', `/api/v1/printers/${params.id}/jobs/${job.id}`);
      return job;
    },
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/printers/:id/jobs/:jobId',
    operationId: 'getPrintJob',
    summary: 'The state of one print job',
    tag: 'printers',
    access: ['kiosk', 'staff', 'monitor'],
    params: jobParams,
    response: printJobSchema,
    problems: [404, 409],
    handler: ({ params }) => {
      const job = printers.job(params.id, params.jobId);
      if (!job) throw new ApiProblem(404, 'job_not_found', 'No such print job', `no job "${params.jobId}"`);
      return job;
    },
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/printers/:id/jobs',
    operationId: 'listPrintJobs',
    summary: 'Print jobs of a printer, newest first; filter by state',
    tag: 'printers',
    access: ['staff', 'monitor'],
    params: deviceIdParams,
    query: z.object({ state: printJobSchema.shape.state.optional() }),
    response: z.object({ jobs: z.array(printJobSchema) }),
    problems: [404, 409],
    handler: ({ params, query }) => ({ jobs: printers.jobs(params.id, query) }),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/printers/:id/jobs/:jobId/retry',
    operationId: 'retryPrintJob',
    summary:
      'Queue again a job that is unconfirmed, failed or expired (a staff decision: it may print twice)',
    tag: 'printers',
    access: ['staff'],
    params: jobParams,
    response: printJobSchema,
    status: 202,
    problems: [404, 409],
    handler: ({ params }) => printers.retry(params.id, params.jobId),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/printers/:id/templates',
    operationId: 'listReceiptTemplates',
    summary: 'Receipt templates available on this printer',
    tag: 'printers',
    access: ['kiosk', 'staff', 'monitor'],
    params: deviceIdParams,
    response: z.object({ templates: z.array(z.string()) }),
    problems: [404, 409],
    handler: ({ params }) => ({ templates: printers.templates(params.id) }),
  });
}
