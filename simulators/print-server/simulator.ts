/**
 * A simulated IPP print server: real IPP/2.0 over HTTP on one port, the way
 * CUPS serves its queues (`ipp://host:port/printers/<queue>`), its control API
 * and its page on the same port.
 *
 *   POST /printers/<queue>          IPP (application/ipp)
 *   GET  /                          page: the printer, its faults, jobs and their printed pages
 *   GET  /api/state                 printer state, faults, jobs (never their documents)
 *   POST /api/jobs                  submits a job as a library PC would (over IPP, Print-Job):
 *                                   {user, title?, pages?, copies?, sides?, colorMode?, media?, queue?, hold?, pdfBase64?}
 *   POST /api/faults                {paperOut?, stopped?, abortNextAfter?, documentDelayMs?, refuseNextRelease?, refuseDocuments?, stallCancel?}
 *   GET  /api/jobs/<id>/pages/<n>.png   page n of a job as the printer printed it
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { systemClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import { PageCounter } from '../../src/devices/print-queue/page-counter.js';
import { pageImage } from '../../src/devices/print-queue/page-image.js';
import {
  decodeIpp,
  encodeIpp,
  GROUP,
  group,
  groupsOf,
  integerOf,
  OPERATION,
  operationGroup,
  TAG,
} from '../../src/protocols/ipp/index.js';
import { handleIpp } from './ipp-handlers.js';
import { printServerPage } from './page.js';
import { type PrinterFaults, PrintServerModel, type SimulatedJob } from './print-server-model.js';
import { samplePdf } from './sample-document.js';

const MAX_IPP_BODY = 64 * 1024 * 1024;
const MAX_CONTROL_BODY = 32 * 1024 * 1024;

export const SubmitBody = z.strictObject({
  user: z.string().min(1).max(255),
  title: z.string().max(255).default('Document'),
  pages: z.number().int().min(1).max(20_000).default(1),
  copies: z.number().int().min(1).max(999).default(1),
  sides: z.enum(['one-sided', 'two-sided-long-edge', 'two-sided-short-edge']).default('one-sided'),
  colorMode: z.enum(['auto', 'monochrome', 'color']).default('monochrome'),
  media: z.string().max(64).default('iso_a4_210x297mm'),
  queue: z.string().optional(),
  hold: z.boolean().optional(),
  /** A document of the PC's own (PDF); otherwise a sample of `pages` pages is made. */
  pdfBase64: z.string().optional(),
});
export type JobRequest = z.input<typeof SubmitBody>;

const FaultsBody = z.strictObject({
  paperOut: z.boolean().optional(),
  stopped: z.boolean().optional(),
  abortNextAfter: z.number().int().min(0).max(100_000).nullable().optional(),
  documentDelayMs: z.number().int().min(0).max(60_000).optional(),
  refuseDocuments: z.boolean().optional(),
  refuseNextRelease: z.boolean().optional(),
  stallCancel: z.boolean().optional(),
});

export interface PrintServerOptions {
  id: string;
  host: string;
  port: number;
  queues: readonly string[];
  pageMs: number;
  holdAll: boolean;
  logger: Logger;
}

export interface PrintServerSimulator {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly model: PrintServerModel;
  queueUrl(queue?: string): string;
  /** Submits a job over IPP as a PC would; resolves with its job id. */
  submit(job: JobRequest): Promise<number>;
  setFaults(faults: Partial<PrinterFaults>): void;
  job(id: number): SimulatedJob | undefined;
  close(): Promise<void>;
}

export async function startPrintServerSimulator(options: PrintServerOptions): Promise<PrintServerSimulator> {
  const model = new PrintServerModel({ queues: options.queues, pageMs: options.pageMs });
  const counter = new PageCounter();
  let port = options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const queueUri = (queue: string) => `ipp://${host}:${port}/printers/${queue}`;
  const context = {
    model,
    holdAll: options.holdAll,
    queueUri,
    countPages: (document: Uint8Array, format: string) => counter.count(document, format).catch(() => 0),
  };
  const log = options.logger.child({ simulator: options.id });

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) log.error({ err: error }, 'print server simulator request failed');
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const printer = /^\/(?:printers|ipp\/print)\/?([^/]*)$/.exec(path);
    if (req.method === 'POST' && printer) {
      const queue = printer[1] || options.queues[0] || '';
      if (!options.queues.includes(queue)) throw new HttpError(404, `no queue ${queue}`);
      const body = await readBody(req, MAX_IPP_BODY);
      const answer = await handleIpp(body, queue, context);
      res.writeHead(200, { 'content-type': 'application/ipp', 'content-length': answer.length });
      res.end(answer);
      return;
    }
    if (req.method === 'GET' && path === '/') {
      const html = printServerPage(options.id, model);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      });
      res.end(html);
      return;
    }
    if (req.method === 'GET' && path === '/api/state') {
      sendJson(res, 200, {
        printer: model.printerState(),
        faults: model.faults,
        jobs: model.list(undefined, 'all').map(publicJob),
      });
      return;
    }
    if (req.method === 'POST' && path === '/api/jobs') {
      const parsed = SubmitBody.safeParse(
        JSON.parse((await readBody(req, MAX_CONTROL_BODY)).toString() || '{}'),
      );
      if (!parsed.success)
        throw new HttpError(
          400,
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
      sendJson(res, 201, { id: await simulator.submit(parsed.data) });
      return;
    }
    if (req.method === 'POST' && path === '/api/faults') {
      const parsed = FaultsBody.safeParse(JSON.parse((await readBody(req, 16 * 1024)).toString() || '{}'));
      if (!parsed.success) throw new HttpError(400, parsed.error.message);
      const { abortNextAfter, ...rest } = parsed.data;
      simulator.setFaults({
        ...rest,
        ...(abortNextAfter !== undefined ? { abortNextAfter: abortNextAfter ?? undefined } : {}),
      });
      sendJson(res, 200, model.faults);
      return;
    }
    const pageImageMatch = /^\/api\/jobs\/(\d+)\/pages\/(\d+)\.png$/.exec(path);
    if (req.method === 'GET' && pageImageMatch) {
      const job = model.job(Number(pageImageMatch[1]));
      const page = Number(pageImageMatch[2]);
      const image =
        job && page <= Math.max(job.pages, 1)
          ? await pageImage(job.document, { clock: systemClock, page, size: 300 })
          : undefined;
      if (!image) throw new HttpError(404, 'no such page image');
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': image.length,
        'cache-control': 'max-age=3600',
      });
      res.end(image);
      return;
    }
    throw new HttpError(404, 'not found');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = address && typeof address === 'object' ? address.port : options.port;

  const simulator: PrintServerSimulator = {
    id: options.id,
    port,
    url: `http://${host}:${port}`,
    model,
    queueUrl: (queue = options.queues[0] ?? '') => queueUri(queue),
    async submit(job) {
      const request = SubmitBody.parse(job);
      const queue = request.queue ?? options.queues[0] ?? '';
      const document = request.pdfBase64
        ? Buffer.from(request.pdfBase64, 'base64')
        : samplePdf({ pages: request.pages, title: request.title, lines: [`Printed by ${request.user}`] });
      const jobAttributes: Array<readonly [string, number, string | number]> = [
        ['copies', TAG.integer, request.copies],
        ['sides', TAG.keyword, request.sides],
        ['print-color-mode', TAG.keyword, request.colorMode],
        ['media', TAG.keyword, request.media],
      ];
      if (request.hold !== undefined)
        jobAttributes.push(['job-hold-until', TAG.keyword, request.hold ? 'indefinite' : 'no-hold']);
      const body = encodeIpp({
        version: { major: 2, minor: 0 },
        code: OPERATION.printJob,
        requestId: 1,
        groups: [
          operationGroup([
            ['printer-uri', TAG.uri, queueUri(queue)],
            ['requesting-user-name', TAG.nameWithoutLanguage, request.user],
            ['job-name', TAG.nameWithoutLanguage, request.title],
            ['document-format', TAG.mimeMediaType, 'application/pdf'],
          ]),
          group(GROUP.job, jobAttributes),
        ],
        data: document,
      });
      const answer = decodeIpp(await post(`http://${host}:${port}/printers/${queue}`, body));
      const id = integerOf(groupsOf(answer, GROUP.job)[0], 'job-id');
      if (answer.code !== 0 || id === undefined)
        throw new Error(`the print server refused the job (status ${answer.code})`);
      return id;
    },
    setFaults: (faults) => model.setFaults(faults),
    job: (id) => model.job(id),
    async close() {
      model.close();
      await counter.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return simulator;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function publicJob(job: SimulatedJob) {
  const { document: _document, ...rest } = job;
  return { ...rest, documentBytes: job.document.length };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new HttpError(413, `body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function post(url: string, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/ipp', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
