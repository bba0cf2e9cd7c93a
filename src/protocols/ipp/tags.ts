/**
 * The numbers of IPP/2.x (RFC 8010 §3.5, RFC 8011, PWG 5100.x, CUPS): group
 * delimiters, value syntaxes, operations, status codes and the job and printer
 * state enums. One table each, read by the codec and by the client.
 */

/** Delimiter tags: where an attribute group begins, and the end of attributes. */
export const GROUP = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
  subscription: 0x06,
  eventNotification: 0x07,
  resource: 0x08,
  document: 0x09,
  system: 0x0a,
} as const;

/** Value tags (RFC 8010 §3.5.2). */
export const TAG = {
  unsupported: 0x10,
  unknown: 0x12,
  noValue: 0x13,
  notSettable: 0x15,
  deleteAttribute: 0x16,
  adminDefine: 0x17,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
  extension: 0x7f,
} as const;

/** Operation ids (RFC 8011 §5.4.15; CUPS-Get-Document is CUPS's own, 0x4027). */
export const OPERATION = {
  printJob: 0x0002,
  validateJob: 0x0004,
  createJob: 0x0005,
  sendDocument: 0x0006,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
  holdJob: 0x000c,
  releaseJob: 0x000d,
  pausePrinter: 0x0010,
  resumePrinter: 0x0011,
  cupsGetDocument: 0x4027,
} as const;

/** Status codes the client tells apart (RFC 8011 §B). */
export const STATUS = {
  ok: 0x0000,
  okIgnoredOrSubstituted: 0x0001,
  okConflicting: 0x0002,
  clientErrorBadRequest: 0x0400,
  clientErrorForbidden: 0x0401,
  clientErrorNotAuthenticated: 0x0402,
  clientErrorNotAuthorized: 0x0403,
  clientErrorNotPossible: 0x0404,
  clientErrorNotFound: 0x0406,
  clientErrorDocumentFormatNotSupported: 0x040a,
  serverErrorInternalError: 0x0500,
  serverErrorOperationNotSupported: 0x0501,
  serverErrorNotAcceptingJobs: 0x0506,
  serverErrorBusy: 0x0507,
} as const;

/** `job-state` (RFC 8011 §5.3.7). */
export const JOB_STATE = {
  3: 'pending',
  4: 'pending-held',
  5: 'processing',
  6: 'processing-stopped',
  7: 'canceled',
  8: 'aborted',
  9: 'completed',
} as const;
export type JobState = (typeof JOB_STATE)[keyof typeof JOB_STATE];
export const JOB_STATE_VALUE: Record<JobState, number> = {
  pending: 3,
  'pending-held': 4,
  processing: 5,
  'processing-stopped': 6,
  canceled: 7,
  aborted: 8,
  completed: 9,
};

/** `printer-state` (RFC 8011 §5.4.11). */
export const PRINTER_STATE = { 3: 'idle', 4: 'processing', 5: 'stopped' } as const;
export type PrinterState = (typeof PRINTER_STATE)[keyof typeof PRINTER_STATE];
export const PRINTER_STATE_VALUE: Record<PrinterState, number> = { idle: 3, processing: 4, stopped: 5 };

/** A status code's name, for messages ("client-error-not-found"). */
export function statusName(code: number): string {
  const names: Record<number, string> = {
    0: 'successful-ok',
    1: 'successful-ok-ignored-or-substituted-attributes',
    2: 'successful-ok-conflicting-attributes',
    1024: 'client-error-bad-request',
    1025: 'client-error-forbidden',
    1026: 'client-error-not-authenticated',
    1027: 'client-error-not-authorized',
    1028: 'client-error-not-possible',
    1030: 'client-error-not-found',
    1034: 'client-error-document-format-not-supported',
    1280: 'server-error-internal-error',
    1281: 'server-error-operation-not-supported',
    1286: 'server-error-not-accepting-jobs',
    1287: 'server-error-busy',
  };
  return names[code] ?? `status 0x${code.toString(16).padStart(4, '0')}`;
}
