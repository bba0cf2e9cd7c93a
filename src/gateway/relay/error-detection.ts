/**
 * SIP2 error detection on a self-check's link: how the relay reads a request's AY/AZ. A frame
 * damaged on its way — a checksum that does not match, an AZ cut short, fixed fields cut short —
 * is asked for again (96). A sequence number without a checksum (AY, no AZ) is no damage: the
 * line keeps or loses a frame whole, its CR last; it is a self-check with its sequence numbers on
 * and its checksums off, relayed and answered with its AY and no AZ. A request with neither is a
 * self-check with its error detection off: relayed and answered with neither, as Koha's and
 * Evergreen's SIPServer answer it (the answer's error detection follows the request's). A sequence
 * number of more than one digit (AY12) before a checksum that holds is no damage either: SIPServer
 * finds no error detection in such a frame, serves it and answers with neither AY nor AZ, and so
 * does the relay. What IT is told of these (once an hour per account, never with the frame) is
 * ErrorDetectionAdvice.
 */
import type { Logger } from '../../core/logger.js';
import {
  type AnySip2Message,
  decodeSip2Message,
  type Sip2Charset,
  type Sip2DecodeResult,
} from '../../protocols/sip2/index.js';
import type { RelayNotices } from './notices.js';

/** Requests in a row answered 96 after which IT is told (once an hour per account) what to check. */
export const RESEND_LOOP_WARNING = 3;

export interface SelfCheckRequestReading {
  decoded: Sip2DecodeResult<AnySip2Message>;
  /** Damaged on its way: asked for again with 96. */
  damaged: boolean;
  /** AY with no AZ from a link that does error detection: answered with its AY and no AZ. */
  sequenceOnly: boolean;
  /**
   * Neither AY nor AZ from a link that does error detection (a 96 or 97, which carry no AY, aside):
   * answered with neither.
   */
  withoutErrorDetection: boolean;
  /**
   * A checksum that holds after a sequence number that is not one digit (AY12): answered with
   * neither AY nor AZ, as SIPServer answers it (withoutErrorDetection is then true too).
   */
  sequenceNotADigit: boolean;
}

/**
 * A self-check's request read in its charset; `checksums`: its link does error detection (its
 * account's errorDetection, or not logged in yet), so a checksum that does not match is damage.
 */
export function readSelfCheckRequest(
  frame: Uint8Array,
  charset: Sip2Charset,
  checksums: boolean,
): SelfCheckRequestReading {
  const decoded = decodeSip2Message(frame, { charset, checksumMismatch: checksums ? 'error' : 'ignore' });
  const damaged = decoded.ok ? damagedErrorDetection(decoded.message) : DAMAGED.has(decoded.error.code);
  let sequenceOnly = false;
  let withoutErrorDetection = false;
  let sequenceNotADigit = false;
  if (checksums && decoded.ok && !damaged && decoded.checksum === 'absent') {
    const { type, sequence } = decoded.message as { type: string; sequence?: number };
    sequenceOnly = sequence !== undefined;
    withoutErrorDetection = !sequenceOnly && type !== 'requestAcsResend' && type !== 'requestScResend';
  } else if (checksums && decoded.ok && !damaged && decoded.checksum === 'valid') {
    sequenceNotADigit =
      decoded.warnings.some((warning) => warning.code === 'invalid_sequence') && digitsBeforeChecksum(frame);
    withoutErrorDetection = sequenceNotADigit;
  }
  return { decoded, damaged, sequenceOnly, withoutErrorDetection, sequenceNotADigit };
}

/** Whether the frame ends `AY<two or more digits>AZ<4 characters>` (blanks and its terminator aside). */
function digitsBeforeChecksum(frame: Uint8Array): boolean {
  let at = frame.length;
  while (
    at > 0 &&
    (frame[at - 1] === 13 || frame[at - 1] === 10 || frame[at - 1] === 32 || frame[at - 1] === 9)
  )
    at--;
  at -= 6; // AZ and its 4 characters
  if (at < 0 || frame[at] !== 0x41 || frame[at + 1] !== 0x5a) return false;
  let digits = 0;
  while (at > 0 && frame[at - 1]! >= 48 && frame[at - 1]! <= 57) {
    at--;
    digits++;
  }
  return digits >= 2 && at >= 2 && frame[at - 2] === 0x41 && frame[at - 1] === 0x59;
}

/**
 * Whether a self-check not logged in sends AY/AZ, as this request says (its answers are framed
 * so until it logs in); undefined when the request cannot say — fixed fields cut short say
 * nothing of its error detection, an AZ cut short or wrong does.
 */
export function sendsChecksums({
  decoded,
  damaged,
  sequenceNotADigit,
}: SelfCheckRequestReading): boolean | undefined {
  // Its AY12 read as SIPServer reads it: no error detection, answered with neither.
  if (sequenceNotADigit) return false;
  if (decoded.ok) return decoded.checksum !== 'absent' || damaged;
  if (decoded.error.code === 'sip2_truncated') return undefined;
  return decoded.error.code === 'sip2_checksum_mismatch';
}

/**
 * Why a frame cannot be read that says it was damaged on its way: its checksum does not match, or
 * its fixed fields end early (cut short). Another (an unknown message code) is not asked for again.
 */
const DAMAGED: ReadonlySet<string> = new Set(['sip2_checksum_mismatch', 'sip2_truncated']);

/**
 * A request whose AY/AZ came apart on its way: what the decoder reads as a field of its own (an AZ
 * cut short, an AY with no digit), which a sequence number and checksum never are. AY with its
 * digit and no AZ is a sequence number sent without a checksum, not damage.
 */
function damagedErrorDetection(request: AnySip2Message): boolean {
  const extra = (request as { extraFields?: ReadonlyArray<{ id: string }> }).extraFields;
  return extra?.some((field) => field.id === 'AY' || field.id === 'AZ') === true;
}

/**
 * What IT is told of one connection's error detection: a self-check sending sequence numbers
 * without checksums, and one asked again (96) request after request — not line noise but a
 * setting. Each once an hour per account (the relay's notices, shared by its connections).
 */
export class ErrorDetectionAdvice {
  /** Requests in a row asked for again (96). */
  private resendsInARow = 0;

  constructor(
    private readonly notices: RelayNotices,
    private readonly logger: Logger,
  ) {}

  /** A request from `kiosk`'s self-check came with AY and no AZ. */
  sequenceOnly(kiosk: string): void {
    if (!this.notices.due(`sequence-only:${kiosk}`)) return;
    this.logger.warn(
      { kiosk },
      'self-check sends sequence numbers without checksums (AY, no AZ): relayed, its answers with AY ' +
        'and no AZ; turn its checksums on, or set errorDetection: false on its relay account',
    );
  }

  /** A request from `kiosk`'s self-check came with a sequence number of more than one digit (AY12). */
  sequenceNotADigit(kiosk: string): void {
    if (!this.notices.due(`sequence-not-a-digit:${kiosk}`)) return;
    this.logger.warn(
      { kiosk },
      'self-check sends sequence numbers (AY) that are not one digit 0–9: relayed, its answers without ' +
        'AY/AZ as SIPServer answers them; set its sequence numbers to run 0–9',
    );
  }

  /** A request from `kiosk`'s self-check came with neither AY nor AZ. */
  withoutErrorDetection(kiosk: string): void {
    if (!this.notices.due(`no-error-detection:${kiosk}`)) return;
    this.logger.warn(
      { kiosk },
      'self-check sends no error detection (neither AY nor AZ): relayed, its answers without AY/AZ; ' +
        'turn its error detection on, or set errorDetection: false on its relay account',
    );
  }

  /**
   * A request that cannot be read (`code`): logged as a warning until the self-check has been
   * named for request after request, at debug after, so the journal is not flooded.
   */
  unreadable(code: string, position: number | undefined): void {
    const level = this.resendsInARow >= RESEND_LOOP_WARNING ? 'debug' : 'warn';
    this.logger[level]({ code, position }, 'unreadable self-check request');
  }

  /** One more request asked for again (96), from `kiosk`'s self-check (undefined: not logged in). */
  resent(kiosk: string | undefined, code: string): void {
    this.resendsInARow++;
    if (this.resendsInARow !== RESEND_LOOP_WARNING) return;
    const named = kiosk ?? '(not logged in)';
    if (!this.notices.due(`resend-loop:${named}`)) return;
    this.logger.warn(
      { kiosk: named, inARow: this.resendsInARow, code },
      'self-check asked again (96) for request after request, its error detection not matching: ' +
        "check that its checksum option and charset match its relay account's errorDetection and charset",
    );
  }

  /** A request read whole: the run of 96s is over. */
  readWhole(): void {
    this.resendsInARow = 0;
  }
}
