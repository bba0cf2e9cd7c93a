import { CarrelError } from '../../core/errors.js';

/**
 * Why a print did not complete, in terms the print queue acts on:
 * - `not_ready`: refused before sending (paper out, cover open…); safe to retry.
 * - `not_sent`: the link failed before every byte was written; safe to retry.
 * - `unconfirmed`: written, but the printer never confirmed it; it may have
 *   printed, so it must not be retried without a person deciding.
 */
export type PrintErrorCode = 'not_ready' | 'not_sent' | 'unconfirmed';

export class PrintError extends CarrelError {
  declare readonly code: PrintErrorCode;

  constructor(code: PrintErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export function isPrintError(error: unknown, code?: PrintErrorCode): error is PrintError {
  return error instanceof PrintError && (code === undefined || error.code === code);
}
