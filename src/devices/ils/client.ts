/**
 * The SIP2 ILS client: a typed API over a pool of connections. The gateway's
 * circulation service and the `carrel sip2` console both use it. Every answer
 * comes back whole (the decoded message, unknown fields in `extraFields`, the
 * decoder's warnings); failures are IlsErrors with stable codes.
 */
import { type Clock, systemClock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type {
  AnySip2Message,
  AnySip2MessageInput,
  SIP2_MESSAGES,
  Sip2Message,
  Sip2MessageInput,
  Sip2MessageType,
} from '../../protocols/sip2/index.js';
import type { Transport } from '../transport/transport.js';
import { type IlsConfig, type IlsConfigInput, parseIlsConfig } from './config.js';
import type { Sip2Exchange, Sip2FrameListener } from './connection.js';
import { IlsError } from './errors.js';
import {
  borrowerNamedIn,
  checkinFound,
  checkoutFound,
  type ItemInformation,
  isCharged,
  isCheckedIn,
  type LostAnswerVerification,
  listsChargedItem,
} from './lost-answer.js';
import { IlsConnectionPool } from './pool.js';
import {
  type BlockPatronOptions,
  type CheckinOptions,
  type CheckoutOptions,
  type FeePaidOptions,
  type HoldOptions,
  type PatronInformationOptions,
  type PatronStatusOptions,
  type RenewAllOptions,
  type RenewOptions,
  Sip2RequestBuilder,
} from './requests.js';
import { createIlsTransport } from './transport.js';

/** The decoded answer to a request of type T. */
export type Sip2ResponseTo<T extends Sip2MessageType> = (typeof SIP2_MESSAGES)[T] extends {
  response: infer R extends Sip2MessageType;
}
  ? Sip2Message<R>
  : AnySip2Message;

export type IlsAnswer<T extends Sip2MessageType> = Sip2Exchange<Sip2ResponseTo<T>>;

/** A checkout or checkin answer, and how it was had when the first answer was lost. */
export type CirculationAnswer<T extends 'checkout' | 'checkin'> = IlsAnswer<T> & {
  /** True when the answer was lost and the item was then found already checked out to the patron / checked in. */
  verifiedAfterLostAnswer: boolean;
  /** True when the answer was lost, the item was not found done, and the request was sent once more. */
  resentAfterLostAnswer: boolean;
  verification?: LostAnswerVerification;
};

export interface IlsClientOptions {
  /** Device id for the supervisor and logs. Default 'ils'. */
  id?: string;
  clock?: Clock;
  logger?: Logger;
  /** A new transport to the ILS; default TCP or TLS as the config says. */
  createTransport?: () => Transport;
  /** Sees every frame sent and received (the console's `--wire`). Mask before showing. */
  onFrame?: Sip2FrameListener;
  /**
   * When the config names no institution, requests carry the one the ILS named in
   * its last status answer (AO of the 98), as a self-check would. The console uses
   * it; the gateway sends the institution it is configured with.
   */
  institutionFromAcs?: boolean;
}

type Terminal = Pick<IlsConfig, 'institution' | 'terminalPassword' | 'location'>;

export class IlsClient {
  readonly config: IlsConfig;
  /** The supervised link (DeviceDriver, kind 'ils'). */
  readonly pool: IlsConnectionPool;
  private readonly clock: Clock;
  private readonly terminal: Terminal;
  private readonly requests: Sip2RequestBuilder;

  constructor(config: IlsConfig, options: IlsClientOptions = {}) {
    this.config = config;
    this.clock = options.clock ?? systemClock;
    const clock = this.clock;
    const pool = new IlsConnectionPool({
      id: options.id ?? 'ils',
      config,
      clock,
      logger: options.logger ?? silentLogger(),
      createTransport: options.createTransport ?? (() => createIlsTransport(config, clock)),
      onFrame: options.onFrame,
    });
    this.pool = pool;
    this.terminal =
      options.institutionFromAcs && config.institution === ''
        ? {
            get institution() {
              return pool.acsStatus()?.institutionId ?? '';
            },
            terminalPassword: config.terminalPassword,
            location: config.location,
          }
        : config;
    this.requests = new Sip2RequestBuilder(this.terminal, () => new Date(clock.now()));
  }

  /** Validates the config (throws a ZodError) and builds the client. */
  static create(config: IlsConfigInput, options: IlsClientOptions = {}): IlsClient {
    return new IlsClient(parseIlsConfig(config), options);
  }

  connect(): Promise<void> {
    return this.pool.connect();
  }

  disconnect(): Promise<void> {
    return this.pool.disconnect();
  }

  /** Sends any typed request and resolves with its typed answer. */
  send<T extends Sip2MessageType>(request: Sip2MessageInput<T> & { type: T }): Promise<IlsAnswer<T>> {
    return this.pool.exchange(request as AnySip2MessageInput) as Promise<IlsAnswer<T>>;
  }

  /** Sends a frame typed by hand (`9300CNuser|COpass|`); AY/AZ are added when missing and error detection is on. */
  raw(frameText: string): Promise<Sip2Exchange> {
    return this.pool.exchange({ type: 'raw', text: frameText });
  }

  /** A 93 with the configured user on a pool connection (connections log in by themselves). */
  login(): Promise<IlsAnswer<'login'>> {
    const { user, password } = this.config;
    if (user === undefined)
      return Promise.reject(new CarrelError('ils_no_user', 'no SIP2 login user configured'));
    return this.send(this.requests.login(user, password));
  }

  status(): Promise<IlsAnswer<'scStatus'>> {
    return this.send(this.requests.scStatus());
  }

  patronStatus(patron: string, options?: PatronStatusOptions): Promise<IlsAnswer<'patronStatusRequest'>> {
    return this.send(this.requests.patronStatus(patron, options));
  }

  patronInformation(
    patron: string,
    options?: PatronInformationOptions,
  ): Promise<IlsAnswer<'patronInformation'>> {
    return this.send(this.requests.patronInformation(patron, options));
  }

  itemInformation(item: string): Promise<IlsAnswer<'itemInformation'>> {
    return this.send(this.requests.itemInformation(item));
  }

  /**
   * Checks out an item. When the answer is lost the item is looked up first and
   * the checkout is re-sent only if it is not found charged to the patron.
   */
  checkout(
    patron: string,
    item: string,
    options: CheckoutOptions = {},
  ): Promise<CirculationAnswer<'checkout'>> {
    const request = this.requests.checkout(patron, item, options);
    const started = this.clock.monotonic();
    // The answered path is one `then` and one object: no async frame, no spread of the exchange.
    return this.send(request).then(answered, (error: unknown) =>
      this.waitedInAll(started, error, this.checkoutAfterLostAnswer(patron, item, options, request, error)),
    );
  }

  /** The checkout failed: when its answer was lost, found charged to the patron or sent once more. */
  private async checkoutAfterLostAnswer(
    patron: string,
    item: string,
    options: CheckoutOptions,
    request: Sip2MessageInput<'checkout'>,
    error: unknown,
  ): Promise<CirculationAnswer<'checkout'>> {
    if (!(error instanceof IlsError) || !error.answerLost) throw error;
    const found = await this.lookUp(item, error);
    let verification: LostAnswerVerification = { itemInformation: found };
    if (isCharged(found.message)) {
      const named = borrowerNamedIn(found.message);
      let chargedToPatron = named === patron;
      if (named === undefined) {
        const patronInformation = await this.patronInformation(patron, {
          pin: options.pin,
          summary: 'chargedItems',
        }).catch(() => undefined);
        if (patronInformation) verification = { ...verification, patronInformation };
        chargedToPatron =
          patronInformation !== undefined && listsChargedItem(patronInformation.message, item);
      }
      if (chargedToPatron) {
        return {
          ...checkoutFound(patron, item, this.terminal.institution, found),
          verifiedAfterLostAnswer: true,
          resentAfterLostAnswer: false,
          verification,
        };
      }
    }
    const again = await this.send(request);
    return { ...again, verifiedAfterLostAnswer: false, resentAfterLostAnswer: true, verification };
  }

  /** Checks in an item; a lost answer is settled like checkout's (found checked in, or re-sent once). */
  checkin(item: string, options: CheckinOptions = {}): Promise<CirculationAnswer<'checkin'>> {
    const request = this.requests.checkin(item, options);
    const started = this.clock.monotonic();
    return this.send(request).then(answered, (error: unknown) =>
      this.waitedInAll(started, error, this.checkinAfterLostAnswer(item, request, error)),
    );
  }

  /** The checkin failed: when its answer was lost, found checked in or sent once more. */
  private async checkinAfterLostAnswer(
    item: string,
    request: Sip2MessageInput<'checkin'>,
    error: unknown,
  ): Promise<CirculationAnswer<'checkin'>> {
    if (!(error instanceof IlsError) || !error.answerLost) throw error;
    const found = await this.lookUp(item, error);
    const verification: LostAnswerVerification = { itemInformation: found };
    if (isCheckedIn(found.message)) {
      return {
        ...checkinFound(item, this.terminal.institution, found),
        verifiedAfterLostAnswer: true,
        resentAfterLostAnswer: false,
        verification,
      };
    }
    const again = await this.send(request);
    return { ...again, verifiedAfterLostAnswer: false, resentAfterLostAnswer: true, verification };
  }

  renew(patron: string, item?: string, options?: RenewOptions): Promise<IlsAnswer<'renew'>> {
    return this.send(this.requests.renew(patron, item, options));
  }

  renewAll(patron: string, options?: RenewAllOptions): Promise<IlsAnswer<'renewAll'>> {
    return this.send(this.requests.renewAll(patron, options));
  }

  hold(patron: string, options?: HoldOptions): Promise<IlsAnswer<'hold'>> {
    return this.send(this.requests.hold(patron, options));
  }

  feePaid(patron: string, options: FeePaidOptions): Promise<IlsAnswer<'feePaid'>> {
    return this.send(this.requests.feePaid(patron, options));
  }

  blockPatron(patron: string, options?: BlockPatronOptions): Promise<IlsAnswer<'blockPatron'>> {
    return this.send(this.requests.blockPatron(patron, options));
  }

  patronEnable(patron: string, options?: { pin?: string }): Promise<IlsAnswer<'patronEnable'>> {
    return this.send(this.requests.patronEnable(patron, options));
  }

  itemStatusUpdate(item: string, properties: string): Promise<IlsAnswer<'itemStatusUpdate'>> {
    return this.send(this.requests.itemStatusUpdate(item, properties));
  }

  endSession(patron: string, options?: { pin?: string }): Promise<IlsAnswer<'endPatronSession'>> {
    return this.send(this.requests.endSession(patron, options));
  }

  /**
   * A lost answer's settling failed: the caller waited for the request, the item lookup and maybe
   * the request once more, each up to its timeout — its error says so, not one timeout after two.
   */
  private async waitedInAll<T>(started: number, first: unknown, settling: Promise<T>): Promise<T> {
    try {
      return await settling;
    } catch (error) {
      // The first error itself (no answer lost: nothing more was asked), or not the ILS's.
      if (error === first || !(error instanceof IlsError)) throw error;
      const waited = Math.round(this.clock.monotonic() - started);
      throw new IlsError(error.code, `${error.message}: ${waited} ms waited in all`, {
        requestSent: error.requestSent,
        cause: error.cause ?? error,
      });
    }
  }

  /** The item information asked after a lost answer; when even that fails, the lost answer is what the caller hears. */
  private async lookUp(item: string, lost: IlsError): Promise<ItemInformation> {
    try {
      return await this.itemInformation(item);
    } catch (cause) {
      throw new IlsError(
        lost.code as IlsError['code'],
        `${lost.message}; the item could not be looked up afterwards to see whether it was done (${describeError(cause).message})`,
        {
          requestSent: true,
          cause,
        },
      );
    }
  }
}

/** A checkout or checkin answered at the first try: the exchange as it came, nothing verified or re-sent. */
function answered<M>(exchange: Sip2Exchange<M>): Sip2Exchange<M> & {
  verifiedAfterLostAnswer: false;
  resentAfterLostAnswer: false;
} {
  return {
    message: exchange.message,
    warnings: exchange.warnings,
    checksum: exchange.checksum,
    roundTripMs: exchange.roundTripMs,
    verbatim: exchange.verbatim,
    verifiedAfterLostAnswer: false,
    resentAfterLostAnswer: false,
  };
}
