import type { PrintJobRecord } from '../../printing/print-job-store.js';

type NoData = Record<string, never>;

/**
 * A receipt printer's events: its paper and cover sensors and errors (from the
 * ESC/POS status, DLE EOT), and its print queue's jobs. Plain data: a job is
 * its id, template, state and error, never the receipt's data.
 */
export interface ReceiptPrinterEvents {
  'printer.paper_out': { paper: 'out' };
  'printer.paper_near_end': { paper: 'near_end' };
  'printer.paper_ok': { paper: 'ok' };
  'printer.cover_open': NoData;
  'printer.cover_closed': NoData;
  'printer.offline': NoData;
  'printer.error': { error: string };
  'printer.recovered': NoData;
  'printer.job_queued': PrintJobRecord;
  'printer.job_printed': PrintJobRecord;
  'printer.job_unconfirmed': PrintJobRecord;
  'printer.job_expired': PrintJobRecord;
  'printer.job_failed': PrintJobRecord;
}

export const RECEIPT_PRINTER_EVENTS: ReadonlyArray<keyof ReceiptPrinterEvents> = [
  'printer.paper_out',
  'printer.paper_near_end',
  'printer.paper_ok',
  'printer.cover_open',
  'printer.cover_closed',
  'printer.offline',
  'printer.error',
  'printer.recovered',
  'printer.job_queued',
  'printer.job_printed',
  'printer.job_unconfirmed',
  'printer.job_expired',
  'printer.job_failed',
];
