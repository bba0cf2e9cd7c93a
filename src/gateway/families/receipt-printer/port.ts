import type { PrintJobRecord, PrintJobState } from '../../printing/print-job-store.js';

/** A print job as the API shows it: never the receipt's data, which may name a patron. */
export type PrintJobView = PrintJobRecord;

/** What workflows and the API may ask of a receipt printer: its durable queue and its templates. */
export interface ReceiptPrinterPort {
  /** Queues a receipt from a template and data; it prints exactly once, when the printer is able. */
  submit(receipt: { template: string; data: Record<string, unknown> }): PrintJobView;
  job(jobId: string): PrintJobView | undefined;
  jobs(filter?: { state?: PrintJobState }): PrintJobView[];
  /** Queues again a job that is unconfirmed, failed or expired (a staff decision: it may print twice). */
  retry(jobId: string): PrintJobView;
  templates(): string[];
}
