/**
 * Per-transaction mode, for an ILS that wants no standing connections: each request on a
 * connection of its own — connect, log in (93), the request, end the patron's session (35),
 * close. The pool hears how it went, to keep the link's health.
 */
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Sip2VerbatimBody } from '../../protocols/sip2/index.js';
import type { IlsConfig } from './config.js';
import type { IlsConnection, Sip2Exchange, Sip2Request } from './connection.js';
import type { IlsError } from './errors.js';
import { isUnanswered } from './pool-slot.js';
import { neverSent } from './resend.js';

export interface TransactionOutcome {
  /** The connection could not be opened (the request never left). */
  notOpened(error: unknown): void;
  /** The ILS left the request unanswered. */
  unanswered(error: IlsError): void;
  /** The ILS answered the request. */
  answered(): void;
}

export async function runTransaction(
  connection: IlsConnection,
  request: Sip2Request,
  asItCame: Sip2VerbatimBody | undefined,
  config: Pick<IlsConfig, 'institution' | 'terminalPassword'>,
  clock: Clock,
  logger: Logger,
  outcome: TransactionOutcome,
): Promise<Sip2Exchange> {
  try {
    try {
      await connection.open();
    } catch (error) {
      outcome.notOpened(error);
      throw neverSent(error);
    }
    let exchange: Sip2Exchange;
    try {
      exchange = await connection.send(request, asItCame);
    } catch (error) {
      if (isUnanswered(error)) outcome.unanswered(error);
      throw error;
    }
    outcome.answered();
    if (request.type !== 'endPatronSession' && request.type !== 'raw') {
      const patron = (request as { patronIdentifier?: string }).patronIdentifier ?? '';
      await connection
        .send({
          type: 'endPatronSession',
          transactionDate: new Date(clock.now()),
          institutionId: config.institution,
          patronIdentifier: patron,
          terminalPassword: config.terminalPassword,
        })
        .catch((error: unknown) => logger.debug({ error: describeError(error) }, 'end session (35) failed'));
    }
    return exchange;
  } finally {
    await connection.close();
  }
}
