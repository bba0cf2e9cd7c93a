/**
 * One SIP2 connection to the simulated ILS, over any duplex stream (a TCP or TLS
 * socket, an in-memory pair). Frames with the codec's framer, answers requests in
 * order, and keeps the session guards (session-policies.ts): a 99 before login is
 * answered, ignored or dropped as the fixture says, anything else before login
 * drops the link, three failed logins drop it too, a request BX calls
 * unsupported is refused, dropped or ignored. The logged-in account decides
 * charset, terminator and error detection; 97 resends the last response, a bad
 * checksum is answered with 96.
 */
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../src/core/clock.js';
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  FIELD_TOO_LONG_MESSAGE,
  fitSip2Answer,
  maskFrame,
  nextSequence,
  oversizedFields,
  type Sip2Charset,
  Sip2Framer,
  sip2Refusal,
} from '../../src/protocols/sip2/index.js';
import type { IlsFaults } from './faults.js';
import type { AccountFixture } from './fixture.js';
import {
  type CirculationRequestType,
  handleCirculationRequest,
  isCirculationRequest,
  type Terminal,
} from './handlers.js';
import type { IlsLibrary } from './library.js';
import { admit, answersWithChecksum, checksChecksums } from './session-policies.js';

export const MAX_FAILED_LOGINS = 3;

/**
 * Requests read and not yet answered, per connection. Past this the simulator
 * stops reading the connection until half are answered: TCP pushes back on a
 * client that pipelines without end, as the relay does.
 */
export const MAX_PENDING_REQUESTS = 32;
/** Answer bytes waiting for a client that does not read; past this, reading stops until they drain. */
export const MAX_WRITE_BUFFER = 64 * 1024;
/** The longest request frame read; a longer one is dropped (the framer holds no more). */
export const MAX_FRAME_SIZE = 64 * 1024;

/** One connection as the control API shows it. */
export interface IlsConnectionState {
  loggedIn: boolean;
  /** False while reading is paused (answers not read by the client, or too many requests waiting). */
  reading: boolean;
  /** Requests read and not yet answered. */
  pendingRequests: number;
  /** Answer bytes not yet handed to the network. */
  writeBuffered: number;
  /** Bytes read from the client (TCP and TLS connections). */
  bytesRead?: number;
}

export interface SessionContext {
  library: IlsLibrary;
  clock: Clock;
  logger: Logger;
  faults(): IlsFaults;
}

export class IlsSession {
  private readonly framer = new Sip2Framer({ maxFrameSize: MAX_FRAME_SIZE });
  private account: AccountFixture | undefined;
  private failedLogins = 0;
  private received = 0;
  private sequence = 9;
  private lastResponse: Uint8Array | undefined;
  private idleTimer: TimerHandle | undefined;
  private latencyTimer: TimerHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Requests read and not yet answered (or dropped). */
  private pendingRequests = 0;
  private paused = false;

  constructor(
    private readonly stream: Duplex,
    private readonly context: SessionContext,
    private readonly onClose: (session: IlsSession) => void,
  ) {
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', (error) =>
      this.context.logger.debug({ error: describeError(error) }, 'SIP2 link error'),
    );
    stream.on('close', () => this.finish());
    stream.on('end', () => this.stream.end());
    stream.on('drain', () => this.regulateReading());
    this.armIdleTimer();
  }

  get loggedIn(): boolean {
    return this.account !== undefined;
  }

  /** Closes the link now. */
  drop(reason: string): void {
    if (this.closed) return;
    this.context.logger.info({ reason }, 'dropping SIP2 connection');
    this.stream.destroy();
    this.finish();
  }

  /** Re-reads the idle timeout after the faults changed. */
  armIdleTimer(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    const timeout = this.context.faults().idleTimeoutMs;
    if (timeout === undefined || this.closed) return;
    this.idleTimer = this.context.clock.setTimeout(
      'ils-idle-timeout',
      () => this.drop('idle timeout'),
      timeout,
    );
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer?.cancel();
    this.latencyTimer?.cancel();
    this.onClose(this);
  }

  private receive(chunk: Buffer): void {
    this.armIdleTimer();
    for (const event of this.framer.push(chunk)) {
      if (event.type === 'error') {
        this.context.logger.warn({ error: describeError(event.error) }, 'SIP2 frame dropped');
        continue;
      }
      const frame = event.frame;
      this.pendingRequests++;
      this.queue = this.queue
        .then(() => this.handle(frame))
        .catch((error: unknown) => {
          this.context.logger.error({ error: describeError(error) }, 'SIP2 request failed');
        })
        .finally(() => {
          this.pendingRequests--;
          this.regulateReading();
        });
    }
    this.regulateReading();
  }

  /**
   * Backpressure: stops reading while too many requests wait or the client is
   * not reading its answers; reads again once half are answered and the answers drained.
   */
  private regulateReading(): void {
    const buffered = this.stream.writableLength;
    if (!this.paused && (this.pendingRequests >= MAX_PENDING_REQUESTS || buffered > MAX_WRITE_BUFFER)) {
      this.paused = true;
      this.stream.pause();
    } else if (
      this.paused &&
      !this.closed &&
      this.pendingRequests <= MAX_PENDING_REQUESTS / 2 &&
      buffered <= MAX_WRITE_BUFFER
    ) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** This connection as the control API shows it. */
  state(): IlsConnectionState {
    const bytesRead = (this.stream as { bytesRead?: unknown }).bytesRead;
    return {
      loggedIn: this.loggedIn,
      reading: !this.paused,
      pendingRequests: this.pendingRequests,
      writeBuffered: this.stream.writableLength,
      ...(typeof bytesRead === 'number' ? { bytesRead } : {}),
    };
  }

  private get charset(): Sip2Charset {
    return (this.account?.charset ?? this.context.library.fixture.acs.defaultCharset) as Sip2Charset;
  }

  private async handle(frame: Uint8Array): Promise<void> {
    if (this.closed) return;
    const { logger, library } = this.context;
    if (this.context.faults().hang) {
      logger.debug('fault: hang, request read and not answered');
      return;
    }
    this.received++;
    const dropAfter = this.context.faults().dropAfterMessages;
    if (dropAfter !== undefined && this.received > dropAfter) {
      this.drop(`fault: drop after ${dropAfter} messages`);
      return;
    }
    if (logger.isLevelEnabled('debug')) logger.debug({ frame: maskFrame(frame) }, 'SIP2 request');
    const decoded = decodeSip2Message(frame, {
      charset: this.charset,
      checksumMismatch: checksChecksums(this.account) ? 'error' : 'ignore',
    });
    if (!decoded.ok) {
      logger.warn({ code: decoded.error.code, position: decoded.error.position }, 'unreadable SIP2 request');
      if (decoded.error.code === 'sip2_checksum_mismatch') {
        await this.send({ type: 'requestScResend' }, true, false);
      }
      return;
    }
    const request = decoded.message;
    const withChecksum = answersWithChecksum(this.account, decoded.checksum);
    switch (request.type) {
      case 'requestAcsResend':
        if (this.lastResponse) await this.write(this.lastResponse);
        else await this.send({ type: 'requestScResend' }, withChecksum, false);
        return;
      case 'requestScResend':
        logger.debug('ignoring 96 from the SC');
        return;
      case 'login':
        await this.login(request, decoded.checksum);
        return;
    }
    if (!isCirculationRequest(request.type)) {
      logger.warn({ type: request.type }, 'not a request; ignored');
      return;
    }
    const terminal = this.terminal();
    const refuse = (screenMessage: string) => {
      const refusal = sip2Refusal(request, {
        transactionDate: library.now(),
        screenMessage,
        institutionId: terminal.institution,
      });
      return refusal ? this.send(withSequence(refusal, request), withChecksum, true) : undefined;
    };
    const admission = admit(
      request as AnySip2Message & { type: CirculationRequestType },
      this.account,
      library.fixture.acs,
    );
    switch (admission.action) {
      case 'drop':
        this.drop(admission.reason);
        return;
      case 'ignore':
        logger.info({ type: request.type, reason: admission.reason }, 'request ignored');
        return;
      case 'refuse':
        logger.info({ type: request.type }, 'unsupported request refused');
        await refuse(admission.screenMessage);
        return;
    }
    const oversized = oversizedFields(request);
    if (oversized.length > 0) {
      // Not acted on: an id it cannot echo, or a value it would keep and fail to send later.
      logger.warn(
        { type: request.type, fields: oversized },
        'request with a field over 255 characters refused',
      );
      await refuse(FIELD_TOO_LONG_MESSAGE);
      return;
    }
    const ignore = this.context.faults().ignoreRequests;
    if (ignore && ignore.type === request.type && ignore.times > 0) {
      ignore.times--;
      logger.debug({ type: request.type }, 'fault: request lost before the ILS acted on it');
      return;
    }
    const resend = this.context.faults().resendRequests;
    if (resend && resend.type === request.type && resend.times > 0) {
      resend.times--;
      logger.debug({ type: request.type }, 'fault: request not acted on, asked for again (96)');
      await this.send({ type: 'requestScResend' }, withChecksum, false);
      return;
    }
    const response = handleCirculationRequest(request as never, terminal);
    const lose = this.context.faults().loseAnswers;
    if (lose && lose.type === request.type && lose.times > 0) {
      lose.times--;
      this.drop(`fault: ${request.type} carried out, its answer lost`);
      return;
    }
    const garble = this.context.faults().garbleAnswers;
    const garbled = garble !== undefined && garble.type === request.type && garble.times > 0;
    if (garbled) {
      garble.times--;
      logger.debug({ type: request.type }, 'fault: request carried out, its answer garbled');
    }
    await this.send(withSequence(response, request), withChecksum, true, garbled);
  }

  private async login(
    request: Extract<AnySip2Message, { type: 'login' }>,
    checksum: 'valid' | 'invalid' | 'absent',
  ): Promise<void> {
    const account = this.context.library.fixture.accounts.find(
      (a) => a.loginUserId === request.loginUserId && a.password === request.loginPassword,
    );
    this.account = account;
    if (account) {
      this.failedLogins = 0;
      this.context.logger.info({ account: account.loginUserId }, 'SC logged in');
      await this.send(
        withSequence({ type: 'loginResponse', ok: true }, request),
        answersWithChecksum(account, checksum),
        true,
      );
      return;
    }
    this.failedLogins++;
    this.context.logger.warn({ failedLogins: this.failedLogins }, 'SC login refused');
    await this.send(
      withSequence({ type: 'loginResponse', ok: false }, request),
      answersWithChecksum(undefined, checksum),
      true,
    );
    if (this.failedLogins >= MAX_FAILED_LOGINS) {
      this.context.logger.warn('three failed logins: dropping the connection');
      this.stream.end();
    }
  }

  private terminal(): Terminal {
    const { library } = this.context;
    const account = this.account;
    const institution = account?.institution ?? library.defaultInstitution;
    const branch =
      account?.branch ??
      (account && library.isBranch(account.location)
        ? account.location
        : library.fixture.institutions.find((i) => i.id === institution)!.branches[0]!.code);
    return { library, institution, branch, location: account?.location ?? '', account };
  }

  /** `garbled`: written with a checksum that does not match, and remembered so for a 97 (faults.garbleAnswers). */
  private async send(
    answer: AnySip2MessageInput,
    withChecksum: boolean,
    remember: boolean,
    garbled = false,
  ): Promise<void> {
    const faults = this.context.faults();
    const fitted = fitSip2Answer(answer);
    if (fitted.changed.length > 0)
      this.context.logger.warn(
        { type: answer.type, fields: fitted.changed, refused: fitted.refused },
        'SIP2 response fields over 255 characters cut or left out',
      );
    const message = fitted.answer;
    const terminator = faults.forceCrLf || this.account?.terminator === 'CRLF' ? '\r\n' : '\r';
    let bytes: Uint8Array;
    try {
      if (message.sequence === undefined) this.sequence = nextSequence(this.sequence);
      const sequence = message.sequence ?? this.sequence;
      bytes = encodeSip2Message(message, {
        charset: this.charset,
        errorDetection: withChecksum && !faults.omitChecksums,
        sequence,
        terminator,
        timeZone: this.context.library.timeZone,
        // As Koha's and Evergreen's SIPServer write a | inside a value (a title "Tintin | Tibet").
        delimiterInValue: 'escape',
      });
    } catch (error) {
      this.context.logger.error(
        { error: describeError(error), type: message.type },
        'cannot encode SIP2 response',
      );
      return;
    }
    if (faults.latencyMs) await this.delay(faults.latencyMs);
    // Hung while this answer waited: it is never sent.
    if (this.closed || this.context.faults().hang) return;
    if (faults.garbageLine !== undefined)
      await this.write(Buffer.from(faults.garbageLine + terminator, 'latin1'));
    if (garbled) bytes = withWrongChecksum(bytes);
    if (remember) this.lastResponse = bytes;
    await this.write(bytes);
    const logger = this.context.logger;
    if (logger.isLevelEnabled('debug')) logger.debug({ frame: maskFrame(bytes) }, 'SIP2 response');
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.latencyTimer = this.context.clock.setTimeout('ils-response-latency', resolve, ms);
    });
  }

  private write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.stream.write(bytes, () => resolve()));
  }
}

/** The answer with its checksum (AZ) one off, so that it fails its check; one without AZ as it is. */
function withWrongChecksum(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const checksum = /AZ([0-9A-F]{4})(\r\n?)$/.exec(text);
  if (!checksum) return bytes;
  const wrong = ((Number.parseInt(checksum[1]!, 16) + 1) & 0xffff)
    .toString(16)
    .toUpperCase()
    .padStart(4, '0');
  return Buffer.from(`${text.slice(0, checksum.index)}AZ${wrong}${checksum[2]}`, 'latin1');
}

/** A response echoes the request's sequence number. */
function withSequence(response: AnySip2MessageInput, request: AnySip2Message): AnySip2MessageInput {
  return request.sequence === undefined ? response : { ...response, sequence: request.sequence };
}
