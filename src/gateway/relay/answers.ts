/**
 * The relay's answers on the self-check's link: encoded in the self-check's
 * charset, terminator and error detection, fields past SIP2's 255 characters
 * cut (fitSip2Answer), the request's sequence number echoed, and the refusal of
 * a request the ILS link cannot carry. An ILS answer that would be encoded back
 * to the bytes it came in is passed on as it came, only its AY/AZ and
 * terminator rewritten (passThroughAnswer).
 */
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { IlsError } from '../../devices/ils/index.js';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  encodeSip2Message,
  FIELD_ID_BY_NAME,
  fieldsTooLongInWords,
  fitSip2Answer,
  oversizedFields,
  reframeSip2Body,
  SIP2_FIELDS,
  SIP2_MESSAGES,
  type Sip2Charset,
  Sip2EncodeError,
  type Sip2MessageType,
  type Sip2VerbatimBody,
  sip2FieldInWords,
} from '../../protocols/sip2/index.js';
import type { Sip2RelayAccount } from './config.js';
import { type OfflineContext, offlineRefusal } from './offline.js';

/**
 * How answers are framed on a self-check's link: its account's charset,
 * terminator and error detection once it has logged in; before, what it sends.
 * `sequenceOnly`: the request came with a sequence number and no checksum (a
 * self-check with its sequence numbers on and its checksums off), so its answer
 * echoes the sequence number (AY) and carries no AZ, as the self-check frames
 * its own; `errorDetection` is then false.
 */
export type AnswerFraming = Pick<Sip2RelayAccount, 'charset' | 'terminator' | 'errorDetection'> & {
  sequenceOnly?: boolean;
};

/** The screen message of a request the ILS link cannot carry. */
export const NOT_RELAYABLE_MESSAGE = 'Request not understood';

/**
 * The answer's bytes for the self-check's link, with `sequence` (the request's:
 * an answer echoes it; 0 when the request carried none, never a sequence number
 * the answer came with from the ILS); undefined (logged) when it cannot be encoded.
 */
export function encodeAnswer(
  answer: AnySip2MessageInput,
  link: AnswerFraming | undefined,
  logger: Logger,
  sequence?: number,
): Uint8Array | undefined {
  const fitted = fitSip2Answer(answer, { charset: link?.charset ?? 'utf-8' });
  if (fitted.changed.length > 0) {
    logger.warn(
      { type: answer.type, fields: fitted.changed, refused: fitted.refused },
      'answer fields over 255 characters cut or left out',
    );
  }
  try {
    const bytes = encodeSip2Message(fitted.answer, {
      charset: link?.charset ?? 'utf-8',
      errorDetection: link ? link.errorDetection : true,
      terminator: link?.terminator === 'CRLF' ? '\r\n' : '\r',
      // A | inside a value as SIPServer writes it, and the self-check is used to reading it.
      delimiterInValue: 'escape',
      sequence: sequence ?? 0,
    });
    return link?.sequenceOnly ? withSequenceOnly(bytes, answer.type, link, sequence) : bytes;
  } catch (error) {
    logger.error({ error: describeError(error), type: answer.type }, 'cannot encode answer');
    return undefined;
  }
}

/**
 * The bytes encodeAnswer would write for the ILS's answer with the request's
 * sequence number, taken from the ILS's own bytes: its body (the decoder found
 * it verbatim: fields in order, none past 255 characters, nothing the encoder
 * would write otherwise) with this link's AY/AZ and terminator. Undefined when
 * that cannot be done (the body is not ASCII and the charsets differ):
 * encodeAnswer then.
 */
export function passThroughAnswer(
  verbatim: Sip2VerbatimBody,
  type: Sip2MessageType,
  request: AnySip2Message,
  link: AnswerFraming | undefined,
): Uint8Array | undefined {
  if ((SIP2_MESSAGES[type] as { noSequence?: boolean }).noSequence === true) return undefined;
  const bytes = reframeSip2Body(verbatim, {
    charset: link?.charset ?? 'utf-8',
    errorDetection: link ? link.errorDetection : true,
    terminator: link?.terminator === 'CRLF' ? '\r\n' : '\r',
    sequence: request.sequence,
  });
  return bytes && link?.sequenceOnly ? withSequenceOnly(bytes, type, link, request.sequence) : bytes;
}

/**
 * An answer encoded without error detection, with `AY<sequence>` put before its terminator: the
 * framing of a self-check that sends sequence numbers without checksums. 96 and 97 carry none.
 */
function withSequenceOnly(
  bytes: Uint8Array,
  type: Sip2MessageType,
  link: AnswerFraming,
  sequence: number | undefined,
): Uint8Array {
  if ((SIP2_MESSAGES[type] as { noSequence?: boolean }).noSequence === true) return bytes;
  const digit = sequence ?? 0;
  if (!Number.isInteger(digit) || digit < 0 || digit > 9) return bytes;
  const terminator = link.terminator === 'CRLF' ? 2 : 1;
  const body = bytes.length - terminator;
  const out = Buffer.allocUnsafe(bytes.length + 3);
  out.set(bytes.subarray(0, body), 0);
  out[body] = 0x41; // A
  out[body + 1] = 0x59; // Y
  out[body + 2] = 0x30 + digit;
  out.set(bytes.subarray(body), body + 3);
  return out;
}

/** The screen message of a request whose patron password (AD) holds a `|`, which SIP2 cannot carry. */
export const PIN_NOT_CARRIED_MESSAGE = 'Invalid PIN';

/**
 * A self-check's request the relay will not carry for what some of its fields hold, refused before
 * it reaches the ILS — or, while the ILS is down, the offline journal, whose replay could not send
 * it either: the error the ILS link gives a request it cannot carry (ils_bad_request), saying why
 * in words that name the fields, never their values.
 */
class FieldsNotCarried extends IlsError {
  constructor(
    readonly fields: readonly string[],
    words: string,
  ) {
    super('ils_bad_request', words);
  }
}

/** The error of a request with a field past 255 characters on `charset`; undefined when all fit. */
export function fieldsTooLong(request: AnySip2Message, charset: Sip2Charset): IlsError | undefined {
  const fields = oversizedFields(request, charset);
  return fields.length > 0 ? new FieldsNotCarried(fields, fieldsTooLongInWords(fields)) : undefined;
}

/** The error of a request that gave once-only fields two values (repeated-fields.ts); undefined for none. */
export function fieldsSentTwice(fields: readonly string[]): IlsError | undefined {
  if (fields.length === 0) return undefined;
  const named = fields.map(sip2FieldInWords);
  const words =
    named.length === 1
      ? `field ${named[0]} was sent twice with different values`
      : `fields ${named.slice(0, -1).join(', ')} and ${named.at(-1)} were sent twice with different values`;
  return new FieldsNotCarried(fields, words);
}

/**
 * The fields a request was not carried for, and why in words: the relay's own checks', or the one
 * the ILS link's encoder refused as too long (a value that fits the self-check's link and not the
 * ILS's charset: € is EUR on ASCII). Undefined for any other error.
 */
function fieldsNotCarried(error: unknown): { fields: readonly string[]; words: string } | undefined {
  if (error instanceof FieldsNotCarried) return { fields: error.fields, words: error.message };
  const cause = error instanceof IlsError ? error.cause : undefined;
  if (!(cause instanceof Sip2EncodeError) || cause.code !== 'sip2_value_too_long' || !cause.field)
    return undefined;
  const fields = [FIELD_ID_BY_NAME.get(cause.field) ?? cause.field];
  return { fields, words: fieldsTooLongInWords(fields) };
}

/**
 * Why a request the ILS link cannot carry was refused, in words for the log: the fields by id and
 * name, never their values.
 */
export function notRelayableInWords(error: unknown): string {
  return fieldsNotCarried(error)?.words ?? 'not relayable';
}

/**
 * The refusal for a request the ILS link cannot carry (`error`, the ILS link's refusal to send
 * it): the offline one, with its own screen message. A field too long, or sent twice with two
 * values, is named in it (its id and name: the self-check's developer or IT finds what sent it),
 * and not echoed: a shorter id names another patron or item, and of two, either may be wrong. A PIN typed with a `|` in it cannot reach the
 * ILS as typed (SIP2 has no escape; Koha and Evergreen cut it there and find it wrong): refused as
 * a wrong PIN, valid patron password N, never changed into another PIN and sent.
 */
export function notRelayable(
  request: AnySip2Message,
  context: OfflineContext,
  error?: unknown,
): AnySip2MessageInput {
  const pin = pipeInPatronPassword(error);
  const fields = fieldsNotCarried(error);
  const screenMessage = pin
    ? PIN_NOT_CARRIED_MESSAGE
    : fields
      ? `Request refused: ${fields.words}`
      : NOT_RELAYABLE_MESSAGE;
  const refusal = offlineRefusal(fields ? withoutFields(request, fields.fields) : request, {
    ...context,
    policy: { ...context.policy, screenMessage },
  });
  if (pin && (refusal?.type === 'patronStatusResponse' || refusal?.type === 'patronInformationResponse')) {
    return { ...refusal, validPatronPassword: false };
  }
  return refusal ?? { type: 'requestScResend' };
}

/** The request with the named fields emptied, for a refusal that echoes none of them. */
function withoutFields(request: AnySip2Message, ids: readonly string[]): AnySip2Message {
  const emptied: Record<string, unknown> = { ...request };
  for (const id of ids) {
    const name = (SIP2_FIELDS as Record<string, { name: string }>)[id]?.name;
    if (name !== undefined && name in emptied) emptied[name] = '';
  }
  return emptied as unknown as AnySip2Message;
}

function pipeInPatronPassword(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return (
    cause instanceof Sip2EncodeError &&
    cause.code === 'sip2_delimiter_in_value' &&
    cause.field === 'patronPassword'
  );
}
