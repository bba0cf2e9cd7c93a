/**
 * One SIP2 connection to the ILS over a Transport: frames, the codec, the login,
 * and exactly one request outstanding at a time. It answers a 96 by sending the
 * request again and asks for an unreadable answer again with a 97, both bounded.
 * A request left unanswered past its timeout closes the connection: a late
 * answer on it could be taken for the next request's.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  encodeSip2Text,
  MESSAGE_TYPE_BY_CODE,
  maskFrameForLog,
  nextSequence,
  reframeSip2Body,
  SIP2_MESSAGES,
  Sip2Codec,
  Sip2Framer,
  type Sip2Message,
  type Sip2MessageType,
  type Sip2VerbatimBody,
  type Sip2Warning,
  sip2Checksum,
  sip2FieldInWords,
} from '../../protocols/sip2/index.js';
import type { Transport } from '../transport/transport.js';
import type { IlsConfig } from './config.js';
import { IlsError } from './errors.js';
import { withVendorFields } from './vendor-fields.js';

/** A request and its decoded answer: every field the ILS sent, unknown ones in `extraFields`. */
export interface Sip2Exchange<M = AnySip2Message> {
  message: M;
  /** What the lenient decoder noticed (free-form dates, missing fields, plain-text lines before the answer…). */
  warnings: Sip2Warning[];
  checksum: 'valid' | 'invalid' | 'absent';
  /** From the request's first byte written to its answer, in milliseconds. */
  roundTripMs: number;
  /** The answer's body as it came, when encoding `message` again would write exactly it (a relay passes it on). */
  verbatim?: Sip2VerbatimBody | undefined;
}

/** A frame as it crossed the wire (terminator excluded). Mask it before showing it. */
export type Sip2FrameListener = (direction: 'sent' | 'received', frame: Uint8Array) => void;

/** A typed request, or a frame typed by hand (AY/AZ are added when missing and error detection is on). */
export type Sip2Request = AnySip2MessageInput | { type: 'raw'; text: string };

export type IlsConnectionSettings = Pick<
  IlsConfig,
  | 'user'
  | 'password'
  | 'location'
  | 'charset'
  | 'errorDetection'
  | 'terminator'
  | 'timeZone'
  | 'requestTimeoutMs'
  | 'maxResends'
  | 'extraFields'
>;

export interface IlsConnectionOptions {
  transport: Transport;
  settings: IlsConnectionSettings;
  clock: Clock;
  logger: Logger;
  onFrame?: Sip2FrameListener;
}

interface Pending {
  bytes: Uint8Array;
  expected: Sip2MessageType | undefined;
  sequence: number | undefined;
  sent: boolean;
  started: number;
  /** Monotonic time past which it counts as unanswered. */
  deadline: number;
  resends: number;
  rereads: number;
  warnings: Sip2Warning[];
  /** The last frame the ILS sent that was not taken as the answer, in words (for the timeout's message). */
  notTaken?: string;
  resolve(exchange: Sip2Exchange): void;
  reject(error: Error): void;
}

const SEQUENCE_AT_END = /AY(\d)AZ[0-9A-Fa-f]{4}$/;
const CHECKSUM_AT_END = /AZ[0-9A-Fa-f]{4}$/;

export class IlsConnection extends EventEmitter {
  private readonly transport: Transport;
  private readonly settings: IlsConnectionSettings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly framer = new Sip2Framer();
  /** Vendor rules left out of a message (its id and code), told once. */
  private readonly vendorFieldsSkipped = new Set<string>();
  private codec: Sip2Codec;
  private sequence = 9;
  private pending: Pending | undefined;
  /**
   * One timer per connection, not one per request: it is armed for the
   * deadline of the request outstanding when none is armed, and when it fires
   * before the current request's deadline (that request came later) it is
   * armed again for the time left. Deadlines only grow, so it never fires late.
   */
  private deadlineTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  /** How many times close() was asked: an open() that sees it move was closed while it waited. */
  private closesAsked = 0;
  private ours = false;
  /** Monotonic time of the last request or answer. */
  lastActivity: number;

  constructor(private readonly options: IlsConnectionOptions) {
    super();
    this.transport = options.transport;
    this.settings = options.settings;
    this.clock = options.clock;
    this.logger = options.logger;
    this.codec = this.newCodec();
    this.lastActivity = this.clock.monotonic();
    this.transport.on('data', (chunk) => this.onData(chunk));
    this.transport.on('close', (error) => this.onClose(error));
  }

  get description(): string {
    return this.transport.description;
  }

  get isOpen(): boolean {
    return this.transport.isOpen && this.closing === undefined;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Opens the link and logs in (93) when a user is configured. Rejects with the reason it could not. */
  async open(): Promise<Sip2Exchange<Sip2Message<'loginResponse'>> | undefined> {
    const closesAsked = this.closesAsked;
    if (this.closing) await this.closing;
    // Closed again while it waited for the last close to end (the pool went offline): that
    // close stands, and nothing is opened behind it.
    if (this.closesAsked !== closesAsked) throw this.closedWhileOpening();
    // Any close asked before has ended (its close event heard, if it had one): a link lost
    // from here on is told, unless a close is asked meanwhile.
    this.ours = false;
    await this.transport.open();
    // Closed while the transport opened: the transport's close, under way, closes what it
    // opened, and that close is ours. No login is sent, and the open does not succeed.
    if (this.closesAsked !== closesAsked) throw this.closedWhileOpening();
    this.framer.reset();
    this.codec = this.newCodec();
    this.sequence = 9;
    this.lastActivity = this.clock.monotonic();
    const { user, password, location } = this.settings;
    if (user === undefined) return undefined;
    try {
      const login = (await this.send({
        type: 'login',
        uidAlgorithm: '0',
        pwdAlgorithm: '0',
        loginUserId: user,
        loginPassword: password,
        locationCode: location,
      })) as Sip2Exchange<Sip2Message<'loginResponse'>>;
      if (!login.message.ok) {
        throw new IlsError(
          'ils_login_refused',
          `${this.description}: the ILS refused the login (93) of user "${user}" (94 ok=0): check the ILS device's user, password and location against its SIP2 account`,
        );
      }
      return login;
    } catch (error) {
      const closedByIls =
        error instanceof IlsError &&
        error.code === 'ils_connection_lost' &&
        this.closesAsked === closesAsked &&
        !this.transport.isOpen;
      await this.close();
      // Some ILSs close the link at a wrong login rather than answer 94 with ok 0: said so, not
      // only "connection lost". The password is never named.
      if (closedByIls) {
        throw new IlsError(
          'ils_connection_lost',
          `${this.description}: the ILS closed the connection at the login (93) of user "${user}": check the ILS device's user and password (some ILSs close the link at a wrong one), and that its port speaks plain SIP2, not TLS`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Sends one request and resolves with its answer. One at a time: the pool sees
   * to that. The request's own sequence number is not used: the connection
   * numbers its requests. `asItCame` is the request's body as a peer sent it
   * (a relayed self-check's, from the decoder): written as it came, with this
   * link's AY/AZ and terminator, when that is what encoding the request would
   * write here (reframeSip2Body), else the request is encoded.
   */
  send(request: Sip2Request, asItCame?: Sip2VerbatimBody): Promise<Sip2Exchange> {
    if (this.pending) {
      return Promise.reject(
        new CarrelError('ils_connection_busy', 'a request is already outstanding on this connection'),
      );
    }
    if (!this.isOpen) {
      return Promise.reject(new IlsError('ils_connection_lost', `${this.description} is not open`));
    }
    let encoded: { bytes: Uint8Array; expected: Sip2MessageType | undefined; sequence: number | undefined };
    try {
      encoded = this.encode(request, asItCame);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return Promise.reject(new IlsError('ils_bad_request', message, { cause: error }));
    }
    return new Promise<Sip2Exchange>((resolve, reject) => {
      const started = this.clock.monotonic();
      const pending: Pending = {
        bytes: encoded.bytes,
        expected: encoded.expected,
        sequence: encoded.sequence,
        sent: false,
        started,
        deadline: started + this.settings.requestTimeoutMs,
        resends: 0,
        rereads: 0,
        warnings: [],
        resolve,
        reject,
      };
      this.pending = pending;
      if (this.deadlineTimer === undefined) this.armDeadline(pending.deadline - started);
      this.write(pending.bytes, pending);
    });
  }

  /** Closes the link; a request under way fails with `ils_connection_lost`. Never rejects. */
  close(): Promise<void> {
    this.closesAsked++;
    if (this.closing) return this.closing;
    this.ours = true;
    this.stopDeadline();
    this.fail(
      new IlsError('ils_connection_lost', `${this.description} closed`, { requestSent: this.pending?.sent }),
    );
    this.closing = this.transport.close().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  private closedWhileOpening(): IlsError {
    return new IlsError('ils_connection_lost', `${this.description} was closed while it was being opened`);
  }

  private newCodec(): Sip2Codec {
    return new Sip2Codec({
      charset: this.settings.charset,
      errorDetection: this.settings.errorDetection,
      terminator: this.settings.terminator === 'CRLF' ? '\r\n' : '\r',
      timeZone: this.settings.timeZone,
    });
  }

  private encode(
    request: Sip2Request,
    asItCame: Sip2VerbatimBody | undefined,
  ): {
    bytes: Uint8Array;
    expected: Sip2MessageType | undefined;
    sequence: number | undefined;
  } {
    const terminator = this.settings.terminator === 'CRLF' ? '\r\n' : '\r';
    if (request.type === 'raw') {
      let text = request.text.replace(/[\r\n]+$/, '');
      const type = MESSAGE_TYPE_BY_CODE.get(text.slice(0, 2));
      const expected = type ? responseType(type) : undefined;
      let sequence: number | undefined;
      const given = SEQUENCE_AT_END.exec(text);
      const resend = type === 'requestAcsResend' || type === 'requestScResend';
      if (given) sequence = Number(given[1]);
      else if (this.settings.errorDetection && resend && !CHECKSUM_AT_END.test(text)) {
        // 96 and 97 carry no sequence number, but a checksum all the same: `97AZFEF5`.
        text += 'AZ';
        text += sip2Checksum(encodeSip2Text(text, this.settings.charset));
      } else if (this.settings.errorDetection && !resend) {
        sequence = this.sequence = nextSequence(this.sequence);
        text += `AY${sequence}AZ`;
        text += sip2Checksum(encodeSip2Text(text, this.settings.charset));
      }
      return { bytes: encodeSip2Text(text + terminator, this.settings.charset), expected, sequence };
    }
    const message = this.settings.extraFields.length > 0 ? this.withExtraFields(request) : request;
    const sequence = this.settings.errorDetection ? nextSequence(this.sequence) : undefined;
    // Vendor fields added to it: encoded, since the body as it came lacks them.
    const passed =
      asItCame !== undefined && message === request
        ? this.reframe(asItCame, request.type, sequence, terminator)
        : undefined;
    const bytes = passed ?? this.codec.encode(message, sequence);
    if (sequence !== undefined) this.sequence = sequence;
    return { bytes, expected: responseType(request.type), sequence };
  }

  /** A body as it came, for this link; undefined when only encoding the request can say what to write. */
  private reframe(
    body: Sip2VerbatimBody,
    type: Sip2MessageType,
    sequence: number | undefined,
    terminator: '\r' | '\r\n',
  ): Uint8Array | undefined {
    const spec = SIP2_MESSAGES[type] as { code: string; noSequence?: boolean };
    // 96/97 carry no sequence number (and are never relayed); a body of another message is not this request's.
    if (spec.noSequence === true) return undefined;
    const code = spec.code;
    const bytes = body.bytes;
    if (bytes[body.start] !== code.charCodeAt(0) || bytes[body.start + 1] !== code.charCodeAt(1))
      return undefined;
    return reframeSip2Body(body, {
      charset: this.settings.charset,
      errorDetection: this.settings.errorDetection,
      terminator,
      sequence,
    });
  }

  /**
   * The request with the configured vendor fields for its message (vendor-fields.ts); a rule for a
   * field the request carries with its own value is left out, said once per connection.
   */
  private withExtraFields(request: AnySip2MessageInput): AnySip2MessageInput {
    return withVendorFields(request, this.settings.extraFields, ({ id, code }) => {
      const key = `${id} ${code}`;
      if (this.vendorFieldsSkipped.has(key)) return;
      this.vendorFieldsSkipped.add(key);
      this.logger.warn(
        { field: id, message: code },
        `vendor field ${sip2FieldInWords(id)} not added to message ${code}: the request carries its own ${id}, and SIP2 sends a field once (list the messages the rule is for in extraFields[].messages)`,
      );
    });
  }

  private write(bytes: Uint8Array, pending: Pending | undefined): void {
    if (!this.transport.isOpen) {
      if (pending)
        this.settle(pending, new IlsError('ils_connection_lost', `${this.description} is not open`));
      return;
    }
    // From here the bytes may reach the ILS, whatever the write's own outcome.
    if (pending) pending.sent = true;
    this.lastActivity = this.clock.monotonic();
    // The frame without its terminator is made only for someone who looks (a subarray per request otherwise).
    if (this.tracing()) this.trace('sent', withoutTerminator(bytes));
    this.transport.send(bytes, (error) => {
      if (pending && this.pending === pending) {
        this.settle(
          pending,
          new IlsError('ils_connection_lost', `${this.description}: write failed`, {
            requestSent: true,
            cause: error,
          }),
        );
        void this.close();
      }
    });
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.clock.monotonic();
    for (const event of this.framer.push(chunk)) {
      if (event.type === 'error') {
        this.logger.warn({ error: describeError(event.error) }, 'SIP2 frame dropped');
        if (this.pending) this.askAgain(this.pending, 'oversized answer');
        continue;
      }
      this.onFrame(event.frame);
    }
  }

  private onFrame(frame: Uint8Array): void {
    if (this.tracing()) this.trace('received', frame);
    const pending = this.pending;
    if (!pending) {
      this.logger.debug('SIP2 frame with no request outstanding ignored');
      return;
    }
    const decoded = this.codec.decode(frame);
    if (!decoded.ok) {
      const { code, position } = decoded.error;
      if (!mayBeTheAnswer(frame, code, pending.expected)) {
        // A plain-text line some servers send before (or instead of) the answer ("Error: …",
        // "500 …"): noted, not fatal, and not answered with a 97, which would only make the
        // ILS send its answer twice (the second copy could be taken for the next request's).
        pending.warnings.push({
          code: 'trailing_text',
          message:
            code === 'sip2_not_a_message'
              ? 'plain-text line instead of a message'
              : `a line that is not the answer (${code})`,
          position,
        });
        return;
      }
      this.logger.warn({ code, position }, 'unreadable SIP2 answer');
      this.askAgain(pending, code);
      return;
    }
    const message = decoded.message;
    if (message.type === 'requestScResend') {
      if (pending.resends >= this.settings.maxResends) {
        const asked = pending.resends + 1;
        // Nearly always the two links disagree on how a request is checked or written: the ILS
        // finds every copy's checksum wrong. Said with what to check, never the request itself.
        this.logger.warn(
          { resends: asked },
          `the ILS kept asking for the request again (96): ${RESEND_CAUSES}`,
        );
        this.settle(
          pending,
          new IlsError(
            'ils_resend_limit',
            `the ILS asked ${asked} times for the request again (96): ${RESEND_CAUSES}`,
            { requestSent: true },
          ),
        );
        return;
      }
      pending.resends++;
      this.logger.info({ resends: pending.resends }, 'the ILS asked for the request again (96): resending');
      this.write(pending.bytes, pending);
      return;
    }
    if (pending.expected !== undefined && message.type !== pending.expected) {
      this.logger.warn({ type: message.type, expected: pending.expected }, 'unexpected SIP2 answer ignored');
      pending.notTaken = `the ILS sent message ${SIP2_MESSAGES[message.type].code} where ${SIP2_MESSAGES[pending.expected].code} answers the request`;
      return;
    }
    if (
      pending.sequence !== undefined &&
      message.sequence !== undefined &&
      message.sequence !== pending.sequence
    ) {
      this.logger.warn(
        { sequence: message.sequence, expected: pending.sequence },
        'stale SIP2 answer ignored',
      );
      // It may answer an earlier request (a copy sent after a 97), so it is not taken; but an ILS
      // that never echoes the request's AY would otherwise read as one that never answers.
      pending.notTaken =
        `the ILS answered with sequence number ${message.sequence} (AY) where ${pending.sequence} was sent` +
        ' (SIP2: an answer echoes its request’s): not taken, as it may answer an earlier request;' +
        ' an ILS that does not echo it needs errorDetection: false';
      return;
    }
    this.settle(pending, {
      message,
      warnings: pending.warnings.length === 0 ? decoded.warnings : [...pending.warnings, ...decoded.warnings],
      checksum: decoded.checksum,
      roundTripMs: this.clock.monotonic() - pending.started,
      verbatim: decoded.verbatim,
    });
  }

  /** Sends a 97: the answer arrived unreadable. */
  private askAgain(pending: Pending, why: string): void {
    if (pending.rereads >= this.settings.maxResends) {
      this.settle(
        pending,
        new IlsError('ils_bad_response', `the ILS's answer stayed unreadable (${why})`, {
          requestSent: true,
        }),
      );
      return;
    }
    pending.rereads++;
    this.logger.info({ why, rereads: pending.rereads }, 'asking the ILS for its answer again (97)');
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode({ type: 'requestAcsResend' });
    } catch (error) {
      this.settle(pending, new IlsError('ils_bad_request', 'cannot encode 97', { cause: error }));
      return;
    }
    this.write(bytes, undefined);
  }

  private armDeadline(ms: number): void {
    this.deadlineTimer = this.clock.setTimeout('ils-request-timeout', () => this.onDeadline(), ms);
  }

  private stopDeadline(): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
  }

  /** The deadline timer fired: the request outstanding timed out, or one came later and is given its time. */
  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const pending = this.pending;
    if (!pending) return;
    const left = pending.deadline - this.clock.monotonic();
    if (left > 0) {
      this.armDeadline(left);
      return;
    }
    this.settle(
      pending,
      new IlsError(
        'ils_timeout',
        `no answer from the ILS within ${this.settings.requestTimeoutMs} ms` +
          (pending.notTaken === undefined ? '' : `: ${pending.notTaken}`),
        { requestSent: pending.sent },
      ),
    );
    // A late answer must not be read as the next request's.
    void this.close();
  }

  private onClose(error: Error | undefined): void {
    this.stopDeadline();
    const pending = this.pending;
    if (pending) {
      this.settle(
        pending,
        new IlsError('ils_connection_lost', `${this.description}: connection lost`, {
          requestSent: pending.sent,
          cause: error,
        }),
      );
    }
    if (!this.ours)
      this.emit('lost', error ?? new IlsError('ils_connection_lost', `${this.description} closed`));
    this.ours = false;
  }

  private fail(error: IlsError): void {
    if (this.pending) this.settle(this.pending, error);
  }

  private settle(pending: Pending, outcome: Sip2Exchange | Error): void {
    if (this.pending !== pending) return;
    this.pending = undefined;
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** Someone sees the frames: an onFrame listener (the console's --wire), or the debug log. */
  private tracing(): boolean {
    return this.options.onFrame !== undefined || this.logger.isLevelEnabled('debug');
  }

  private trace(direction: 'sent' | 'received', frame: Uint8Array): void {
    this.options.onFrame?.(direction, frame);
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ direction, frame: maskFrameForLog(frame) }, 'SIP2 frame');
    }
  }
}

/**
 * Whether an unreadable frame is the answer, damaged (truncated, or its checksum
 * wrong), and so worth asking for again (97): it must start with the code of the
 * answer awaited. Lines that are no SIP2 message, or another message's, are not.
 */
function mayBeTheAnswer(frame: Uint8Array, code: string, expected: Sip2MessageType | undefined): boolean {
  if (code !== 'sip2_truncated' && code !== 'sip2_checksum_mismatch') return false;
  if (expected === undefined) return true;
  const answerCode = SIP2_MESSAGES[expected].code;
  return frame[0] === answerCode.charCodeAt(0) && frame[1] === answerCode.charCodeAt(1);
}

/** A frame as listeners see it: the CR or CR LF that ends it left off. */
function withoutTerminator(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 13 || bytes[end - 1] === 10)) end--;
  return bytes.subarray(0, end);
}

/**
 * What usually makes an ILS ask for every copy of a request again (96): it cannot check it. Said in
 * the request's error, the link's health and the log.
 */
export const RESEND_CAUSES =
  "it could not read it, which usually means the ILS device's errorDetection (checksums) or charset is not what the ILS's SIP2 account uses: check both against the server's settings (a charset mismatch fails only requests with letters outside ASCII, a checksum mismatch every request)";

/** The message that answers a request, per the spec table. */
export function responseType(type: Sip2MessageType): Sip2MessageType | undefined {
  const spec = SIP2_MESSAGES[type] as { response?: Sip2MessageType };
  return spec.response;
}
