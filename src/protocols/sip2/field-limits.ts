/**
 * SIP2 2.00 variable fields hold at most 255 characters, and the encoder refuses
 * a longer one. A server that echoes a request's field, or passes on what its
 * own back end said, must still answer something the encoder can write: this is
 * the one rule for that, per field.
 *
 * - Text a person reads (screen message, print line, name, title, address, fine
 *   description): cut to 255; a shorter text still says the same thing.
 * - An identifier (institution AO, patron AA, item AB, fee CG, transaction BK): a
 *   shorter id names another patron or item, so it is never cut. It is emptied
 *   (left out when optional) and the answer becomes a refusal: ok 0, valid patron
 *   N, payment not accepted… as the message allows, with a screen message.
 * - An entry of a list of items (AS, AT, AU, BU, CD, BM, BN): left out.
 * - Any other field (codes, dates, amounts, item properties, locations): left out
 *   when optional; emptied when required, and the answer becomes a refusal.
 * - An unknown (extra) field: left out.
 *
 * Lengths are as written: a `|` in a value counts as the six characters of `&#124;`.
 */
import { foldSip2Text, type Sip2Charset } from './charset.js';
import { COMPILED_BY_TYPE } from './compiled.js';
import { ESCAPED_PIPE, MAX_FIELD_LENGTH } from './encode.js';
import { type Sip2FieldId, sip2FieldInWords } from './fields.js';
import type { Sip2MessageType } from './messages.js';
import type { AnySip2Message, AnySip2MessageInput } from './types.js';

const READ_BY_A_PERSON: ReadonlySet<Sip2FieldId> = new Set(['AE', 'AF', 'AG', 'AJ', 'AL', 'AM', 'BD', 'AV']);
const IDENTIFIERS: ReadonlySet<Sip2FieldId> = new Set(['AO', 'AA', 'AB', 'CG', 'BK']);

/** How each answer says "not done". */
const REFUSED: Partial<Record<Sip2MessageType, Record<string, unknown>>> = {
  loginResponse: { ok: false },
  checkoutResponse: { ok: false, renewalOk: false, desensitize: false },
  renewResponse: { ok: false, renewalOk: false, desensitize: false },
  checkinResponse: { ok: false, resensitize: false },
  patronStatusResponse: { validPatron: false, personalName: '' },
  patronEnableResponse: { validPatron: false, personalName: '' },
  patronInformationResponse: { validPatron: false, personalName: '' },
  renewAllResponse: { ok: false },
  endSessionResponse: { endSession: false },
  feePaidResponse: { paymentAccepted: false },
  holdResponse: { ok: false, available: false },
  itemStatusUpdateResponse: { itemPropertiesOk: false },
};

/** The screen message of an answer refused because a field could not be carried. */
export const FIELD_TOO_LONG_MESSAGE = 'Request refused: a field is longer than 255 characters';

/**
 * Which fields are longer than 255 characters, in words for a screen message or the log, by id and
 * name (never a value): `field AA (patron identifier) is longer than 255 characters`.
 */
export function fieldsTooLongInWords(ids: readonly string[]): string {
  const named = ids.map(sip2FieldInWords);
  if (named.length <= 1) return `field ${named[0] ?? ''} is longer than ${MAX_FIELD_LENGTH} characters`;
  return `fields ${named.slice(0, -1).join(', ')} and ${named.at(-1)} are longer than ${MAX_FIELD_LENGTH} characters`;
}

/** The length a value has on the wire as far as the 255 rule goes (enum codes, text; Dates are 18). */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string')
    return (value as { code: string }).code;
  return undefined;
}

/** How many characters an answer writes a `|` in a value as: `&#124;`, as SIPServer does. */
const PIPE_WIDTH = ESCAPED_PIPE.length;

function pipesIn(text: string): number {
  let pipes = 0;
  for (let at = text.indexOf('|'); at >= 0; at = text.indexOf('|', at + 1)) pipes++;
  return pipes;
}

/**
 * Whether a value is past 255 characters as `charset` writes it (€ is EUR on an ASCII link), a
 * `|` as the six characters of `&#124;`.
 */
function tooLong(value: unknown, charset: Sip2Charset = 'utf-8'): boolean {
  const text = textOf(value);
  if (text === undefined) return false;
  const pipes = pipesIn(text);
  if (text.length <= MAX_FIELD_LENGTH / 3 && pipes === 0) return false;
  return foldSip2Text(text, charset).length + pipes * (PIPE_WIDTH - 1) > MAX_FIELD_LENGTH;
}

/**
 * The ids of a message's variable fields longer than SIP2 allows (extra fields
 * included), in message order; empty when every field fits. For a request: a
 * server refuses it rather than acting on a value it cannot echo.
 */
export function oversizedFields(
  message: AnySip2Message | AnySip2MessageInput,
  charset: Sip2Charset = 'utf-8',
): string[] {
  const over = (value: unknown) => tooLong(value, charset);
  const compiled = COMPILED_BY_TYPE.get(message.type);
  if (compiled === undefined) return [];
  const record = message as unknown as Record<string, unknown>;
  const found: string[] = [];
  for (const field of compiled.fields) {
    const value = record[field.name];
    if (Array.isArray(value) ? value.some(over) : over(value)) found.push(field.id);
  }
  const extra = record.extraFields;
  if (Array.isArray(extra)) {
    for (const field of extra as Array<{ id?: unknown; value?: unknown }>)
      if (over(field.value)) found.push(String(field.id));
  }
  return found;
}

export interface FittedSip2Answer {
  /** The answer to send; the same object when every field fitted. */
  answer: AnySip2MessageInput;
  /** Ids of the fields cut, emptied or left out. */
  changed: string[];
  /** The answer was turned into a refusal (an identifier or a required field could not be carried). */
  refused: boolean;
}

/**
 * An answer whose every variable field fits in 255 characters, by the rule
 * above. `screenMessage` is added when the answer is turned into a refusal
 * (default FIELD_TOO_LONG_MESSAGE).
 */
export function fitSip2Answer(
  answer: AnySip2MessageInput,
  options: { screenMessage?: string; charset?: Sip2Charset } = {},
): FittedSip2Answer {
  const compiled = COMPILED_BY_TYPE.get(answer.type);
  const charset = options.charset ?? 'utf-8';
  const oversized = oversizedFields(answer, charset);
  const over = (value: unknown) => tooLong(value, charset);
  const cut = (value: unknown) => cutText(value, charset);
  if (compiled === undefined || oversized.length === 0) return { answer, changed: [], refused: false };
  const fitted = { ...answer } as Record<string, unknown>;
  let refused = false;
  for (const field of compiled.fields) {
    if (!oversized.includes(field.id)) continue;
    const value = fitted[field.name];
    if (Array.isArray(value)) {
      fitted[field.name] = READ_BY_A_PERSON.has(field.id)
        ? value.map((entry) => cut(entry))
        : value.filter((entry) => !over(entry));
    } else if (READ_BY_A_PERSON.has(field.id)) {
      fitted[field.name] = cut(value);
    } else {
      if (field.required) fitted[field.name] = field.kind === 'enum' ? { code: '' } : '';
      else delete fitted[field.name];
      if (field.required || IDENTIFIERS.has(field.id)) refused = true;
    }
  }
  if (Array.isArray(fitted.extraFields)) {
    fitted.extraFields = (fitted.extraFields as Array<{ value?: unknown }>).filter(
      (field) => !over(field.value),
    );
  }
  if (refused) {
    Object.assign(fitted, REFUSED[answer.type] ?? {});
    if ('validPatronPassword' in fitted && fitted.validPatronPassword !== undefined)
      fitted.validPatronPassword = false;
    if (compiled.fields.some((field) => field.id === 'AF')) {
      const screen = Array.isArray(fitted.screenMessage) ? (fitted.screenMessage as string[]) : [];
      fitted.screenMessage = [options.screenMessage ?? FIELD_TOO_LONG_MESSAGE, ...screen].map(cut);
    }
  }
  return { answer: fitted as unknown as AnySip2MessageInput, changed: oversized, refused };
}

/**
 * A text cut to 255 characters as `charset` writes it (never between the halves of a surrogate
 * pair): on a link that lacks some of its letters, the text as the link carries it, cut.
 */
function cutText(text: unknown, charset: Sip2Charset): unknown {
  if (typeof text !== 'string' || !tooLong(text, charset)) return text;
  const value = foldSip2Text(text, charset);
  // Where 255 characters as written end: a `|` counts as `&#124;`'s six.
  let width = 0;
  let end = 0;
  while (end < value.length) {
    const next = width + (value.charCodeAt(end) === 124 ? PIPE_WIDTH : 1);
    if (next > MAX_FIELD_LENGTH) break;
    width = next;
    end++;
  }
  const last = value.charCodeAt(end - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}
