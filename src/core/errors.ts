/**
 * Carrel's error taxonomy (STYLE 12). Every error that crosses a module boundary
 * is a CarrelError with a stable `code`; the API maps codes to HTTP problems.
 *
 * - PeerError: the other side sent bad data. Log it, resync, keep going.
 * - TransportError: the link is gone or could not be made. Reconnect with backoff.
 * - anything else: our bug. Fail loudly.
 */
export class CarrelError extends Error {
  /**
   * What a client may branch on beside the code, as fields of the API's problem (RFC 9457's
   * extension members): `print_release_refused`'s `jobStillWaiting`. Never patron data.
   */
  readonly details: Readonly<Record<string, boolean | number | string>> | undefined;

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown; details?: Readonly<Record<string, boolean | number | string>> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
}

export class TransportError extends CarrelError {}

/** The transport was closed by us; pending I/O is cancelled with this. */
export class TransportClosedError extends TransportError {
  constructor(message = 'transport closed') {
    super('transport_closed', message);
  }
}

export class PeerError extends CarrelError {}

export class TimeoutError extends CarrelError {
  constructor(message: string) {
    super('timeout', message);
  }
}

export class ConfigError extends CarrelError {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super('config_invalid', `configuration has ${issues.length} error(s)`);
  }
}

/** Turns anything thrown into `{ code, message }` for health records and logs. */
/** The database failing (`database_error`, `storage_full`, `storage_unwritable`, from gateway/storage). */
const STORAGE_FAULTS = new Set(['database_error', 'storage_full', 'storage_unwritable']);

/**
 * Whether a failure is the desk's own database or disk: the API edges log these for IT (a full
 * disk, a file system gone read-only), as well as telling the caller.
 */
export function isStorageFault(error: unknown): error is CarrelError {
  return error instanceof CarrelError && STORAGE_FAULTS.has(error.code);
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CarrelError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const errno = (error as NodeJS.ErrnoException).code;
    return { code: typeof errno === 'string' ? errno.toLowerCase() : 'error', message: error.message };
  }
  return { code: 'error', message: String(error) };
}

/** Node's codes for a host name the resolver could not turn into an address (lower case, as describeError gives them). */
export const UNRESOLVED_NAME_CODES: ReadonlySet<string> = new Set(['enotfound', 'eai_again', 'eai_fail']);

/**
 * A host name that did not resolve, in words — "the name ils.example does not resolve" in place of
 * `getaddrinfo ENOTFOUND ils.example` — or undefined when `error` is not that.
 */
export function unresolvedNameOf(error: unknown): string | undefined {
  const { code, hostname } = (error ?? {}) as { code?: unknown; hostname?: unknown };
  if (typeof code !== 'string' || !UNRESOLVED_NAME_CODES.has(code.toLowerCase())) return undefined;
  const name = typeof hostname === 'string' && hostname !== '' ? hostname : 'the host';
  return code.toLowerCase() === 'enotfound'
    ? `the name ${name} does not resolve`
    : `the name ${name} could not be looked up (no DNS server answered)`;
}

/** What to check for a host name that did not resolve: `setting` names where it is given. */
export function unresolvedNameHint(setting: string): string {
  return `check ${setting}, or the machine's DNS`;
}
