/**
 * One self-check's connection to the relay. Frames with the codec's framer,
 * answers the 93 login itself against the configured accounts (three failed
 * logins drop the link), decodes each request in the self-check's charset,
 * relays it through the ILS link (which speaks the ILS's charset) and writes the
 * answer back in the self-check's charset, terminator, sequence number and
 * checksum. 97 resends the last answer; a frame damaged on its way (a bad checksum, AZ
 * cut short, its fields cut short) is answered with 96. A sequence number without a
 * checksum is no damage: the request is relayed and its answer echoes the AY, no AZ; a request
 * with neither AY nor AZ is answered with neither.
 * While the ILS is down it answers per the offline rules. The round trip to the
 * ILS is relaying.ts, the answers' encoding answers.ts, the offline answers
 * offline.ts, reading a request's AY/AZ error-detection.ts; this file is the
 * connection: framing, timers, backpressure, login.
 */
import type { Duplex } from 'node:stream';
import type { TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  decodeSip2Message,
  MAX_FIELD_LENGTH,
  maskFrameForLog,
  type Sip2Charset,
  Sip2Framer,
  type Sip2Message,
} from '../../protocols/sip2/index.js';
import {
  type AnswerFraming,
  encodeAnswer,
  fieldsSentTwice,
  fieldsTooLong,
  notRelayable,
  notRelayableInWords,
  passThroughAnswer,
} from './answers.js';
import type { Sip2RelayAccount } from './config.js';
import { ErrorDetectionAdvice, readSelfCheckRequest, sendsChecksums } from './error-detection.js';
import { RelayNotices } from './notices.js';
import {
  isRelayedRequest,
  type OfflineContext,
  offeredOffline,
  RELAY_REFUSALS,
  type RelayOfflinePolicy,
} from './offline.js';
import {
  countFailure,
  countTransaction,
  type RelayedAnswer,
  type RelayRefusal,
  relayToIls,
} from './relaying.js';
import { onceOnlyRepeats } from './repeated-fields.js';
import type { RelaySessionContext } from './session-context.js';
import { relayTransaction } from './statistics.js';

export type {
  IlsForRelay,
  RelayOfflineHandler,
  RelayOfflineOutcome,
  RelaySessionContext,
} from './session-context.js';

export const MAX_FAILED_LOGINS = 3;

/**
 * Requests read but not yet answered, per self-check. Past this the relay stops
 * reading the socket until half are answered: TCP pushes back, nothing is lost
 * and a client pipelining without end cannot grow the queue.
 */
export const MAX_PIPELINED_REQUESTS = 32;

export class RelaySession {
  private readonly framer: Sip2Framer;
  private account: Sip2RelayAccount | undefined;
  private failedLogins = 0;
  private lastAnswer: Uint8Array | undefined;
  /**
   * One idle timer per connection, not re-armed per read: when it fires before
   * a full timeout has passed since the self-check last sent anything
   * (`lastHeard`), it is armed again for the time left.
   */
  private idleTimer: TimerHandle | undefined;
  /** Monotonic time of the self-check's last bytes. */
  private lastHeard: number;
  private loginTimer: TimerHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Refused three logins: its link is ending, and nothing more it sends is acted on. */
  private hangingUp = false;
  /** Requests read and not yet answered (or dropped). */
  private pending = 0;
  private paused = false;
  private receivedAny = false;
  /** The AO the self-check last sent, for answers that carry no request field to echo (98). */
  private institutionId = '';
  /** The self-check ends its requests with CR LF (seen in what it sent): answered so before login. */
  private sendsCrLf = false;
  /** Whether its last request before login carried AY/AZ: answered with them then. */
  private sendsChecksums = true;
  /** The last byte read was a CR (a CR LF split across two reads). */
  private lastReadCr = false;
  /** What the offline answers offer: no checkin or checkout without a journal to take them. */
  private readonly offlinePolicy: RelayOfflinePolicy;
  /** The request being answered came with AY and no AZ: its answer echoes AY, no AZ. */
  private sequenceOnly = false;
  /** The request being answered came with neither AY nor AZ: its answer carries neither. */
  private withoutErrorDetection = false;
  /** The last request's sequence number was not one digit (AY12), its checksum whole. */
  private sequenceNotADigit = false;
  /** The account's framing without AY/AZ, made once per login (not per request). */
  private plainFraming: AnswerFraming | undefined;
  /** What IT is told of its error detection, once an hour per account (the server's notices). */
  private readonly advice: ErrorDetectionAdvice;

  constructor(
    private readonly stream: Duplex,
    private readonly context: RelaySessionContext,
    private readonly onClose: (session: RelaySession) => void,
  ) {
    this.framer = new Sip2Framer({ maxFrameSize: context.config.maxFrameSize });
    this.offlinePolicy = offeredOffline(context.config.offline, context.onOffline !== undefined);
    this.advice = new ErrorDetectionAdvice(
      context.notices ?? new RelayNotices(context.clock),
      context.logger,
    );
    this.lastHeard = context.clock.monotonic();
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', (error) =>
      context.logger.debug({ error: describeError(error) }, 'SIP2 relay link error'),
    );
    stream.on('close', () => this.finish());
    // A self-check that shuts its sending side still reads: what it sent is answered, then the link ends.
    stream.on('end', () => {
      void this.queue.then(() => this.stream.end());
    });
    const idleSeconds = context.config.idleTimeoutSeconds;
    if (idleSeconds > 0) this.armIdleTimer(idleSeconds * 1000);
    this.armLoginTimer();
  }

  /** Logged in with a relay account (a connection that is not may be closed to make room). */
  get loggedIn(): boolean {
    return this.account !== undefined;
  }

  /** A connection not logged in within `loginTimeoutSeconds` of opening (or of a refused login) is closed. */
  private armLoginTimer(): void {
    const seconds = this.context.config.loginTimeoutSeconds;
    if (seconds <= 0 || this.closed || this.loginTimer) return;
    this.loginTimer = this.context.clock.setTimeout(
      'sip2-relay-login-timeout',
      () => {
        this.loginTimer = undefined;
        if (this.context.onLoginTimeout) {
          this.context.onLoginTimeout(this);
          this.drop('no login in time', true);
        } else this.drop('no login in time');
      },
      seconds * 1000,
    );
  }

  /** Closes the link now; `quiet` when the caller logs it (rate-limited, per source). */
  drop(reason: string, quiet = false): void {
    if (this.closed) return;
    if (!quiet) this.context.logger.info({ reason }, 'dropping self-check connection');
    this.stream.destroy();
    this.finish();
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = this.context.clock.setTimeout('sip2-relay-idle-timeout', () => this.onIdleTimer(), ms);
  }

  /** Dropped a full idle timeout after the self-check's last bytes; armed again for the time left before that. */
  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (this.closed) return;
    const left =
      this.lastHeard + this.context.config.idleTimeoutSeconds * 1000 - this.context.clock.monotonic();
    if (left > 0) this.armIdleTimer(left);
    else this.drop('idle timeout');
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer?.cancel();
    this.loginTimer?.cancel();
    this.onClose(this);
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.hangingUp) return;
    this.lastHeard = this.context.clock.monotonic();
    if (!this.receivedAny) {
      this.receivedAny = true;
      if (looksLikeTlsHandshake(chunk)) {
        this.context.logger.warn(
          'TLS handshake on the plain SIP2 relay port: closed (configure relay.tls, or use plain SIP2)',
        );
        this.drop('TLS on a plain port');
        return;
      }
    }
    if (!this.account && !this.sendsCrLf) this.noteTerminator(chunk);
    for (const event of this.framer.push(chunk)) {
      if (event.type === 'error') {
        this.context.logger.warn({ error: describeError(event.error) }, 'self-check frame dropped');
        continue;
      }
      const frame = event.frame;
      // Nothing outstanding: handled at once rather than behind a settled queue (one promise less).
      const handled = this.pending === 0 ? this.handle(frame) : this.queue.then(() => this.handle(frame));
      this.pending++;
      this.queue = handled.then(this.settled, this.failed);
    }
    if (this.pending >= MAX_PIPELINED_REQUESTS && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
  }

  /** Notes whether the self-check ends its lines with CR LF, for the answers before it logs in. */
  private noteTerminator(chunk: Buffer): void {
    if (this.lastReadCr && chunk[0] === 0x0a) this.sendsCrLf = true;
    else if (chunk.includes('\r\n')) this.sendsCrLf = true;
    this.lastReadCr = chunk.length > 0 && chunk[chunk.length - 1] === 0x0d;
  }

  /**
   * The framing of answers: the account's once logged in; before, the self-check's own (its
   * terminator, AY/AZ as it sent them), so one that reads up to CR LF or sends no checksums
   * is not left waiting on a 98 or a refused login in a framing it was never configured for.
   */
  private framing(): AnswerFraming {
    const account = this.account;
    if (account && this.withoutErrorDetection) {
      this.plainFraming ??= { ...account, errorDetection: false };
      return this.plainFraming;
    }
    const link = account ?? {
      charset: 'utf-8',
      terminator: this.sendsCrLf ? 'CRLF' : 'CR',
      errorDetection: this.sendsChecksums,
    };
    return this.sequenceOnly ? { ...link, errorDetection: false, sequenceOnly: true } : link;
  }

  /** A request whose handling threw (our bug): logged, and settled like any other. */
  private readonly failed = (error: unknown): void => {
    this.context.logger.error({ error: describeError(error) }, 'self-check request failed');
    this.settled();
  };

  /** One request answered or dropped: read again once the backlog is down to half. */
  private readonly settled = (): void => {
    this.pending--;
    if (this.paused && this.pending <= MAX_PIPELINED_REQUESTS / 2) {
      this.paused = false;
      if (!this.closed) this.stream.resume();
    }
  };

  private get charset(): Sip2Charset {
    return this.account?.charset ?? 'utf-8';
  }

  private async handle(frame: Uint8Array): Promise<void> {
    if (this.closed || this.hangingUp) return;
    const { logger } = this.context;
    if (logger.isLevelEnabled('debug')) logger.debug({ frame: maskFrameForLog(frame) }, 'self-check request');
    const reading = readSelfCheckRequest(frame, this.charset, this.account?.errorDetection ?? true);
    const { decoded, damaged } = reading;
    // AY without AZ: a self-check sending sequence numbers with its checksums off — relayed, answered so.
    this.sequenceOnly = reading.sequenceOnly;
    // Neither AY nor AZ: a self-check with its error detection off — relayed, answered with neither.
    this.withoutErrorDetection = reading.withoutErrorDetection;
    // AY12 before a checksum that holds: served, answered with neither, as SIPServer does.
    this.sequenceNotADigit = reading.sequenceNotADigit;
    if (this.account) this.adviseOnErrorDetection(this.account.kioskUser);
    if (!this.account) this.sendsChecksums = sendsChecksums(reading) ?? this.sendsChecksums;
    if (!decoded.ok || damaged) {
      const { code, position } = decoded.ok
        ? { code: 'damaged_error_detection', position: undefined }
        : decoded.error;
      this.advice.unreadable(code, position);
      // Damaged on its way: asked for again (96), as SIP2's error detection has it, whatever the
      // message — never answered as if the ILS were down, nor left unanswered.
      if (damaged) {
        this.advice.resent(this.account?.kioskUser, code);
        await this.send({ type: 'requestScResend' }, false);
      }
      return;
    }
    this.advice.readWhole();
    // A once-only field sent twice: the same value once, two values refused below.
    const repeats = onceOnlyRepeats(decoded.message, decoded.warnings);
    const request = repeats?.request ?? decoded.message;
    switch (request.type) {
      case 'requestAcsResend':
        if (this.lastAnswer) await this.write(this.lastAnswer);
        else await this.send({ type: 'requestScResend' }, false);
        return;
      case 'requestScResend':
        logger.debug('ignoring 96 from the self-check');
        return;
      case 'login':
        await this.login(request, frame, repeats?.ambiguous ?? []);
        return;
    }
    if (
      'institutionId' in request &&
      typeof request.institutionId === 'string' &&
      request.institutionId.length <= MAX_FIELD_LENGTH
    ) {
      this.institutionId = request.institutionId;
    }
    if (!isRelayedRequest(request)) {
      logger.warn({ type: request.type }, 'not a request; ignored');
      return;
    }
    // Built only when the ILS cannot be reached, could not read the request, or its answer.
    const refusal: RelayRefusal = (why) =>
      RELAY_REFUSALS[why](request, this.offlineContext()) ?? { type: 'requestScResend' as const };
    if (request.type !== 'scStatus' && !this.account) {
      this.drop(`${request.type} before login`);
      return;
    }
    let relayed: RelayedAnswer;
    try {
      // A field past 255 characters, or sent twice with two values: refused as the ILS link refuses
      // what it cannot carry, before the ILS (or, while it is down, the offline journal) sees it.
      const notCarried = fieldsTooLong(request, this.charset) ?? fieldsSentTwice(repeats?.ambiguous ?? []);
      if (notCarried) throw notCarried;
      const asItCame = request === decoded.message ? decoded.verbatim : undefined;
      relayed = await relayToIls(this.context, this.account, request, refusal, asItCame);
    } catch (error) {
      const notCarried = error instanceof IlsError && error.code === 'ils_bad_request';
      if (notCarried && request.type === 'scStatus') {
        // A 99 asks whether the ILS is up: asked without the fields the link cannot carry (a 99
        // has none of its own), not answered with the refusal's 98 saying the ILS is offline.
        logger.debug(
          { error: describeError(error) },
          `self-check status request relayed without its extra fields: ${notRelayableInWords(error)}`,
        );
        relayed = await relayToIls(this.context, this.account, statusAlone(request), refusal);
      } else {
        countFailure(this.context, this.account, request, error);
        if (!notCarried) throw error;
        // The ILS link cannot carry it (a field too long, a character the ILS charset lacks):
        // a refusal now, so the self-check is not left waiting for an answer that never comes.
        logger.warn(
          { type: request.type, error: describeError(error) },
          `self-check request refused: ${notRelayableInWords(error)}`,
        );
        if (!this.closed) await this.send(notRelayable(request, this.offlineContext(), error), true, request);
        return;
      }
    }
    if (this.account) {
      countTransaction(
        this.context,
        relayTransaction(request, relayed.answer, this.account.kioskUser, relayed.source),
      );
    }
    if (this.closed) return;
    const passed =
      relayed.verbatim && passThroughAnswer(relayed.verbatim, relayed.answer.type, request, this.framing());
    if (!passed) await this.send(relayed.answer, true, request);
    else {
      const draining = this.deliver(passed, true);
      if (draining) await draining;
    }
  }

  /** IT told (once an hour per account) of a self-check whose error detection is not its account's. */
  private adviseOnErrorDetection(kiosk: string): void {
    if (this.sequenceOnly) this.advice.sequenceOnly(kiosk);
    else if (this.sequenceNotADigit) this.advice.sequenceNotADigit(kiosk);
    else if (this.withoutErrorDetection) this.advice.withoutErrorDetection(kiosk);
  }

  private offlineContext(): OfflineContext {
    return {
      policy: this.offlinePolicy,
      now: new Date(this.context.clock.now()),
      timeZone: this.context.timeZone,
      institutionId: this.institutionId || (this.context.institution ?? ''),
      ...(this.account?.location ? { terminalLocation: this.account.location } : {}),
      blocksJournaled: this.context.journal !== undefined,
    };
  }

  /**
   * A login whose user id, password or location (CN, CO, CP) came twice with two values logs in as
   * no account: which one the self-check meant no one can tell, and taking the first was a guess.
   */
  private async login(
    request: Sip2Message<'login'>,
    frame: Uint8Array,
    sentTwice: readonly string[],
  ): Promise<void> {
    const ambiguous = fieldsSentTwice(sentTwice);
    const account = ambiguous ? undefined : this.accountLoggingIn(request, frame);
    if (account) {
      this.account = account;
      this.plainFraming = undefined;
      this.failedLogins = 0;
      this.loginTimer?.cancel();
      this.loginTimer = undefined;
      this.context.logger.info({ kiosk: account.kioskUser }, 'self-check logged in');
      this.adviseOnErrorDetection(account.kioskUser);
      await this.send({ type: 'loginResponse', ok: true }, true, undefined, request.sequence);
      return;
    }
    this.account = undefined;
    this.armLoginTimer();
    this.failedLogins++;
    // A user or password past 255 characters, or sent twice with two values, matches no account: which field.
    const notCarried = ambiguous ?? fieldsTooLong(request, this.charset);
    this.context.logger.warn(
      { failedLogins: this.failedLogins },
      notCarried
        ? `self-check login refused: ${notRelayableInWords(notCarried)}`
        : 'self-check login refused',
    );
    await this.send({ type: 'loginResponse', ok: false }, true, undefined, request.sequence);
    if (this.failedLogins >= MAX_FAILED_LOGINS) {
      this.context.logger.warn('three failed logins: dropping the self-check');
      // Nothing it sends after is read: closed once the refusal is written.
      this.hangingUp = true;
      this.stream.end(() => this.drop('three failed logins', true));
    }
  }

  /**
   * The account whose user and password (CN, CO) the login carries, each account's read in its own
   * charset: a self-check sends its password in the charset it speaks, and before it has logged in
   * the frame was read as UTF-8 (`request`), which an IBM850 "Müller1" is not.
   */
  private accountLoggingIn(request: Sip2Message<'login'>, frame: Uint8Array): Sip2RelayAccount | undefined {
    const read = new Map<Sip2Charset, Sip2Message<'login'> | undefined>([[this.charset, request]]);
    for (const account of this.context.config.accounts) {
      if (!read.has(account.charset)) {
        const decoded = decodeSip2Message(frame, { charset: account.charset, checksumMismatch: 'ignore' });
        read.set(
          account.charset,
          decoded.ok && decoded.message.type === 'login' ? decoded.message : undefined,
        );
      }
      const login = read.get(account.charset);
      if (login && account.kioskUser === login.loginUserId && account.kioskPassword === login.loginPassword)
        return account;
    }
    return undefined;
  }

  /**
   * Writes an answer. Fields past SIP2's 255 characters are cut or the answer
   * refused (encodeAnswer); an answer that still cannot be encoded is replaced
   * by the request's refusal, so the self-check is never left without one.
   * The answer echoes the request's sequence number (`sequence`).
   */
  private async send(
    answer: AnySip2MessageInput,
    remember: boolean,
    request?: AnySip2Message,
    sequence = request?.sequence,
  ): Promise<void> {
    const { logger } = this.context;
    let bytes = encodeAnswer(answer, this.framing(), logger, sequence);
    if (bytes === undefined && request !== undefined) {
      bytes = encodeAnswer(notRelayable(request, this.offlineContext()), this.framing(), logger, sequence);
    }
    if (bytes !== undefined) await this.deliver(bytes, remember);
  }

  /** Writes an answer's bytes; `remember` keeps them for a 97. What to wait for as write(). */
  private deliver(bytes: Uint8Array, remember: boolean): Promise<void> | undefined {
    const { logger } = this.context;
    if (remember) this.lastAnswer = bytes;
    if (logger.isLevelEnabled('debug')) logger.debug({ frame: maskFrameForLog(bytes) }, 'self-check answer');
    return this.write(bytes);
  }

  /**
   * Writes bytes to the self-check. Undefined when the socket took them within
   * its buffer; else a promise of its draining (or closing), which the next
   * request waits for: a self-check that does not read its answers is not
   * written to without end.
   */
  private write(bytes: Uint8Array): Promise<void> | undefined {
    const stream = this.stream;
    if (this.closed || stream.destroyed) return undefined;
    if (stream.write(bytes)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }
}

/** A 99's own fields, without the fields a self-check added to it. */
function statusAlone(request: Sip2Message<'scStatus'>): Sip2Message<'scStatus'> {
  return {
    type: 'scStatus',
    statusCode: request.statusCode,
    maxPrintWidth: request.maxPrintWidth,
    protocolVersion: request.protocolVersion,
    ...(request.sequence !== undefined ? { sequence: request.sequence } : {}),
  };
}

/** The first bytes of a TLS record carrying a handshake (a ClientHello): type 22, version 3.x. */
function looksLikeTlsHandshake(chunk: Uint8Array): boolean {
  return chunk.length >= 2 && chunk[0] === 0x16 && chunk[1] === 0x03;
}
