/**
 * What Carrel asks of an IPP print server (CUPS, or any server that holds
 * jobs): the jobs of one queue with their owner, name, copies, sides, colour,
 * media and state; a job's document (CUPS-Get-Document); Release-Job and
 * Cancel-Job; the printer's state. Each answer is checked for its status code;
 * a job the server does not know is `print_job_not_found`.
 */
import { CarrelError, PeerError } from '../../core/errors.js';
import {
  type AttributeSpec,
  booleanOf,
  decodeIpp,
  encodeIpp,
  GROUP,
  groupsOf,
  type IppGroup,
  type IppMessage,
  integerOf,
  JOB_STATE,
  type JobState,
  OPERATION,
  operationGroup,
  PRINTER_STATE,
  type PrinterState,
  STATUS,
  statusName,
  stringOf,
  stringsOf,
  TAG,
} from '../../protocols/ipp/index.js';

/** One job as the server describes it. */
export interface IppJob {
  id: number;
  name: string;
  /** `job-originating-user-name`: the login on the PC that printed it. */
  owner: string;
  state: JobState;
  reasons: string[];
  copies: number;
  sides: string;
  /** `print-color-mode` as submitted: color, monochrome… ('auto' when not said). */
  colorMode: string;
  /** The media keyword as submitted (`iso_a4_210x297mm`, `na_letter_8.5x11in`), or '' when not said. */
  media: string;
  format: string;
  /** Seconds since the epoch (CUPS's `time-at-creation`). */
  createdAt: number;
  /** `job-impressions-completed`, when the server reports it. */
  impressionsCompleted: number | undefined;
  kOctets: number | undefined;
}

export interface IppPrinterStatus {
  state: PrinterState;
  reasons: string[];
  accepting: boolean;
  message: string;
}

export interface IppExchange {
  readonly printerUri: string;
  readonly description: string;
  exchange(body: Uint8Array): Promise<Uint8Array>;
}

const JOB_ATTRIBUTES = [
  'job-id',
  'job-name',
  'job-originating-user-name',
  'job-state',
  'job-state-reasons',
  'copies',
  'sides',
  'print-color-mode',
  'media',
  'document-format',
  'time-at-creation',
  'job-impressions-completed',
  'job-k-octets',
];

export class IppClient {
  private requestId = 1;

  constructor(
    private readonly http: IppExchange,
    private readonly user = 'carrel',
  ) {}

  get description(): string {
    return this.http.description;
  }

  async jobs(which: 'not-completed' | 'completed' | 'all', limit = 500): Promise<IppJob[]> {
    const answer = await this.call(OPERATION.getJobs, [
      ['which-jobs', TAG.keyword, which],
      ['limit', TAG.integer, limit],
      ['requested-attributes', TAG.keyword, JOB_ATTRIBUTES],
    ]);
    return groupsOf(answer, GROUP.job).flatMap((group) => {
      const job = jobOf(group);
      return job ? [job] : [];
    });
  }

  async job(id: number): Promise<IppJob> {
    const answer = await this.call(OPERATION.getJobAttributes, [
      ['job-id', TAG.integer, id],
      ['requested-attributes', TAG.keyword, JOB_ATTRIBUTES],
    ]);
    const job = jobOf(groupsOf(answer, GROUP.job)[0]);
    if (!job) throw new PeerError('ipp_bad_answer', `${this.description} described job ${id} without its id`);
    return job;
  }

  /** The job's first document, as submitted (CUPS-Get-Document). */
  async document(id: number): Promise<{ format: string; bytes: Uint8Array }> {
    const answer = await this.call(OPERATION.cupsGetDocument, [
      ['job-id', TAG.integer, id],
      ['document-number', TAG.integer, 1],
    ]);
    const described = groupsOf(answer, GROUP.job)[0] ?? answer.groups[0];
    return {
      format: stringOf(described, 'document-format') ?? 'application/octet-stream',
      bytes: answer.data,
    };
  }

  async release(id: number): Promise<void> {
    await this.call(OPERATION.releaseJob, [['job-id', TAG.integer, id]]);
  }

  async cancel(id: number): Promise<void> {
    await this.call(OPERATION.cancelJob, [['job-id', TAG.integer, id]]);
  }

  async printer(): Promise<IppPrinterStatus> {
    const answer = await this.call(OPERATION.getPrinterAttributes, [
      [
        'requested-attributes',
        TAG.keyword,
        ['printer-state', 'printer-state-reasons', 'printer-is-accepting-jobs', 'printer-state-message'],
      ],
    ]);
    const printer = groupsOf(answer, GROUP.printer)[0];
    const state = PRINTER_STATE[integerOf(printer, 'printer-state') as keyof typeof PRINTER_STATE];
    if (!state) throw new PeerError('ipp_bad_answer', `${this.description} gave no printer-state`);
    return {
      state,
      reasons: stringsOf(printer, 'printer-state-reasons').filter((r) => r !== 'none'),
      accepting: booleanOf(printer, 'printer-is-accepting-jobs') ?? true,
      message: stringOf(printer, 'printer-state-message') ?? '',
    };
  }

  private async call(operation: number, attributes: readonly AttributeSpec[]): Promise<IppMessage> {
    const requestId = this.requestId++;
    if (this.requestId > 0x7fffffff) this.requestId = 1;
    const request: IppMessage = {
      version: { major: 2, minor: 0 },
      code: operation,
      requestId,
      groups: [
        operationGroup([
          ['printer-uri', TAG.uri, this.http.printerUri],
          ['requesting-user-name', TAG.nameWithoutLanguage, this.user],
          ...attributes,
        ]),
      ],
      data: new Uint8Array(0),
    };
    const answer = decodeIpp(await this.http.exchange(encodeIpp(request)));
    if (answer.requestId !== requestId)
      throw new PeerError(
        'ipp_bad_answer',
        `${this.description} answered request ${answer.requestId}, not ${requestId}`,
      );
    if (answer.code > STATUS.okConflicting) {
      const message = `${this.description}: ${statusName(answer.code)}${detail(answer)}`;
      if (answer.code === STATUS.clientErrorNotFound) throw new CarrelError('print_job_not_found', message);
      if (answer.code === STATUS.clientErrorNotPossible)
        throw new CarrelError('print_job_not_possible', message);
      if (
        answer.code === STATUS.clientErrorNotAuthorized ||
        answer.code === STATUS.clientErrorNotAuthenticated ||
        answer.code === STATUS.clientErrorForbidden
      )
        throw new CarrelError('ipp_not_authorized', message);
      throw new CarrelError('ipp_refused', message);
    }
    return answer;
  }
}

function detail(answer: IppMessage): string {
  const message = stringOf(answer.groups[0], 'status-message');
  return message ? ` (${message})` : '';
}

function jobOf(group: IppGroup | undefined): IppJob | undefined {
  const id = integerOf(group, 'job-id');
  if (id === undefined) return undefined;
  return {
    id,
    name: stringOf(group, 'job-name') ?? '',
    owner: stringOf(group, 'job-originating-user-name') ?? '',
    state: JOB_STATE[integerOf(group, 'job-state') as keyof typeof JOB_STATE] ?? 'pending',
    reasons: stringsOf(group, 'job-state-reasons').filter((r) => r !== 'none'),
    copies: Math.max(1, integerOf(group, 'copies') ?? 1),
    sides: stringOf(group, 'sides') ?? 'one-sided',
    colorMode: stringOf(group, 'print-color-mode') ?? 'auto',
    media: stringOf(group, 'media') ?? '',
    format: stringOf(group, 'document-format') ?? 'application/octet-stream',
    createdAt: integerOf(group, 'time-at-creation') ?? 0,
    impressionsCompleted: integerOf(group, 'job-impressions-completed'),
    kOctets: integerOf(group, 'job-k-octets'),
  };
}
