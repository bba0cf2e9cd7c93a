/**
 * The simulated print server's IPP operations, one handler each, dispatched by
 * operation id (as CUPS answers them): Print-Job, Get-Jobs,
 * Get-Job-Attributes, CUPS-Get-Document, Release-Job, Cancel-Job,
 * Get-Printer-Attributes. Jobs are held when the job says
 * `job-hold-until` (not `no-hold`) or the queue holds every job.
 */
import {
  attribute,
  decodeIpp,
  encodeIpp,
  GROUP,
  groupsOf,
  type IppAttribute,
  type IppGroup,
  type IppMessage,
  integerOf,
  JOB_STATE_VALUE,
  OPERATION,
  operationGroup,
  PRINTER_STATE_VALUE,
  STATUS,
  stringOf,
  stringsOf,
  TAG,
} from '../../src/protocols/ipp/index.js';
import type { PrintServerModel, SimulatedJob } from './print-server-model.js';

export interface IppServerContext {
  model: PrintServerModel;
  /** Counts a submitted document's pages (0 when it cannot). */
  countPages(document: Uint8Array, format: string): Promise<number>;
  /** Every queue holds its jobs until released (a release-station queue). */
  holdAll: boolean;
  /** The URI a client reaches a queue at. */
  queueUri(queue: string): string;
}

type Handler = (request: IppMessage, queue: string, context: IppServerContext) => Promise<Answer> | Answer;
interface Answer {
  status: number;
  groups?: IppGroup[];
  data?: Uint8Array;
  message?: string;
}

const HANDLERS: Record<number, Handler> = {
  [OPERATION.printJob]: printJob,
  [OPERATION.getJobs]: getJobs,
  [OPERATION.getJobAttributes]: (request, queue, context) =>
    withJob(request, queue, context, (job) => ({
      status: STATUS.ok,
      groups: [jobGroup(job, context, requested(request))],
    })),
  [OPERATION.cupsGetDocument]: async (request, queue, context) => {
    const delay = context.model.faults.documentDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (context.model.faults.refuseDocuments)
      return { status: STATUS.clientErrorNotAuthorized, message: 'not authorized to get the document' };
    return withJob(request, queue, context, (job) => ({
      status: STATUS.ok,
      groups: [
        {
          tag: GROUP.job,
          attributes: [
            attribute('document-format', TAG.mimeMediaType, job.format),
            attribute('document-number', TAG.integer, 1),
          ],
        },
      ],
      data: job.document,
    }));
  },
  [OPERATION.releaseJob]: (request, queue, context) =>
    withJob(request, queue, context, (job) => {
      if (job.state === 'pending-held' && context.model.faults.refuseNextRelease) {
        context.model.faults.refuseNextRelease = false;
        return { status: STATUS.clientErrorNotPossible, message: `job ${job.id} cannot be released now` };
      }
      return context.model.release(job.id)
        ? { status: STATUS.ok }
        : { status: STATUS.clientErrorNotPossible, message: `job ${job.id} is not held` };
    }),
  [OPERATION.cancelJob]: async (request, queue, context) => {
    // A hung print server: the Cancel-Job is not answered until the fault is cleared.
    await context.model.cancelMayGoOn();
    return withJob(request, queue, context, (job) =>
      context.model.cancel(job.id)
        ? { status: STATUS.ok }
        : { status: STATUS.clientErrorNotPossible, message: `job ${job.id} has already finished` },
    );
  },
  [OPERATION.getPrinterAttributes]: getPrinterAttributes,
};

/** Answers one IPP request for `queue` (already checked to exist): the response bytes. */
export async function handleIpp(body: Uint8Array, queue: string, context: IppServerContext): Promise<Buffer> {
  let request: IppMessage;
  try {
    request = decodeIpp(body);
  } catch (error) {
    return respond(0, { status: STATUS.clientErrorBadRequest, message: (error as Error).message });
  }
  const operation = request.groups[0];
  if (operation?.tag !== GROUP.operation || stringOf(operation, 'attributes-charset') === undefined)
    return respond(request.requestId, {
      status: STATUS.clientErrorBadRequest,
      message: 'no operation attributes',
    });
  const handler = HANDLERS[request.code];
  if (!handler)
    return respond(request.requestId, {
      status: STATUS.serverErrorOperationNotSupported,
      message: `operation 0x${request.code.toString(16)} is not supported`,
    });
  return respond(request.requestId, await handler(request, queue, context));
}

function respond(requestId: number, answer: Answer): Buffer {
  const message: IppMessage = {
    version: { major: 2, minor: 0 },
    code: answer.status,
    requestId,
    groups: [
      operationGroup(answer.message ? [['status-message', TAG.textWithoutLanguage, answer.message]] : []),
      ...(answer.groups ?? []),
    ],
    data: answer.data ?? new Uint8Array(0),
  };
  return encodeIpp(message);
}

async function printJob(request: IppMessage, queue: string, context: IppServerContext): Promise<Answer> {
  const operation = request.groups[0];
  const job = groupsOf(request, GROUP.job)[0];
  const format = stringOf(operation, 'document-format') ?? 'application/octet-stream';
  if (request.data.length === 0) return { status: STATUS.clientErrorBadRequest, message: 'no document' };
  const holdUntil = stringOf(job, 'job-hold-until');
  const submitted = context.model.submit({
    queue,
    name: stringOf(operation, 'job-name') ?? 'Untitled',
    owner: stringOf(operation, 'requesting-user-name') ?? 'anonymous',
    copies: Math.min(Math.max(integerOf(job, 'copies') ?? 1, 1), 999),
    sides: stringOf(job, 'sides') ?? 'one-sided',
    colorMode: stringOf(job, 'print-color-mode') ?? 'auto',
    media: stringOf(job, 'media') ?? 'iso_a4_210x297mm',
    format,
    document: request.data,
    pages: await context.countPages(request.data, format),
    hold: holdUntil !== undefined ? holdUntil !== 'no-hold' : context.holdAll,
  });
  return {
    status: STATUS.ok,
    groups: [jobGroup(submitted, context, ['job-id', 'job-uri', 'job-state', 'job-state-reasons'])],
  };
}

function getJobs(request: IppMessage, queue: string, context: IppServerContext): Answer {
  const operation = request.groups[0];
  const which = stringOf(operation, 'which-jobs') ?? 'not-completed';
  if (which !== 'not-completed' && which !== 'completed' && which !== 'all')
    return { status: STATUS.clientErrorBadRequest, message: `which-jobs ${which} is not supported` };
  const limit = integerOf(operation, 'limit') ?? Number.MAX_SAFE_INTEGER;
  const names = requested(request);
  const jobs = context.model.list(queue, which).slice(0, Math.max(0, limit));
  return { status: STATUS.ok, groups: jobs.map((job) => jobGroup(job, context, names)) };
}

function getPrinterAttributes(_request: IppMessage, queue: string, context: IppServerContext): Answer {
  const printer = context.model.printerState();
  return {
    status: STATUS.ok,
    groups: [
      {
        tag: GROUP.printer,
        attributes: [
          attribute('printer-uri-supported', TAG.uri, context.queueUri(queue)),
          attribute('printer-name', TAG.nameWithoutLanguage, queue),
          attribute('printer-state', TAG.enum, PRINTER_STATE_VALUE[printer.state]),
          attribute(
            'printer-state-reasons',
            TAG.keyword,
            printer.reasons.length > 0 ? printer.reasons : ['none'],
          ),
          attribute('printer-state-message', TAG.textWithoutLanguage, printer.message),
          attribute('printer-is-accepting-jobs', TAG.boolean, true),
          attribute('document-format-supported', TAG.mimeMediaType, [
            'application/pdf',
            'application/postscript',
            'image/jpeg',
          ]),
          attribute('sides-supported', TAG.keyword, [
            'one-sided',
            'two-sided-long-edge',
            'two-sided-short-edge',
          ]),
          attribute('print-color-mode-supported', TAG.keyword, ['auto', 'monochrome', 'color']),
          attribute('copies-supported', TAG.rangeOfInteger, { lower: 1, upper: 999 }),
        ],
      },
    ],
  };
}

function withJob(
  request: IppMessage,
  queue: string,
  context: IppServerContext,
  act: (job: SimulatedJob) => Answer,
): Answer {
  const id = integerOf(request.groups[0], 'job-id') ?? jobIdOfUri(stringOf(request.groups[0], 'job-uri'));
  const job = id === undefined ? undefined : context.model.job(id);
  if (!job || job.queue !== queue)
    return { status: STATUS.clientErrorNotFound, message: `no job ${id ?? '(none given)'}` };
  return act(job);
}

function jobIdOfUri(uri: string | undefined): number | undefined {
  const match = uri === undefined ? null : /\/jobs\/(\d+)$/.exec(uri);
  return match ? Number(match[1]) : undefined;
}

function requested(request: IppMessage): string[] {
  const names = stringsOf(request.groups[0], 'requested-attributes');
  return names.length === 0 || names.includes('all') || names.includes('job-description') ? [] : names;
}

/** A job's attributes; `names` empty means all of them. */
function jobGroup(job: SimulatedJob, context: IppServerContext, names: readonly string[]): IppGroup {
  const all: IppAttribute[] = [
    attribute('job-id', TAG.integer, job.id),
    attribute('job-uri', TAG.uri, `${context.queueUri(job.queue)}/jobs/${job.id}`),
    attribute('job-printer-uri', TAG.uri, context.queueUri(job.queue)),
    attribute('job-name', TAG.nameWithoutLanguage, job.name),
    attribute('job-originating-user-name', TAG.nameWithoutLanguage, job.owner),
    attribute('job-state', TAG.enum, JOB_STATE_VALUE[job.state]),
    attribute('job-state-reasons', TAG.keyword, job.reasons),
    attribute('copies', TAG.integer, job.copies),
    attribute('sides', TAG.keyword, job.sides),
    attribute('print-color-mode', TAG.keyword, job.colorMode),
    attribute('media', TAG.keyword, job.media),
    attribute('document-format', TAG.mimeMediaType, job.format),
    attribute('time-at-creation', TAG.integer, job.createdAt),
    attribute(
      'time-at-completed',
      job.completedAt === undefined ? TAG.noValue : TAG.integer,
      job.completedAt ?? null,
    ),
    attribute('job-impressions', TAG.integer, job.pages * job.copies),
    attribute('job-impressions-completed', TAG.integer, job.impressionsCompleted),
    attribute('job-k-octets', TAG.integer, Math.ceil(job.document.length / 1024)),
  ];
  const wanted = names.length === 0 ? all : all.filter((a) => names.includes(a.name));
  return { tag: GROUP.job, attributes: wanted };
}
