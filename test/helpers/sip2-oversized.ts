/**
 * Every SIP2 2.00 request with one variable field past the spec's 255 characters,
 * as wire frames (the codec's encoder refuses to write them, so the long value is
 * put in after encoding). Values from the sample library: patron 21000001 (PIN
 * 1234), item 31000005.
 */
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Body,
  encodeSip2Text,
  MAX_FIELD_LENGTH,
  SIP2_FIELDS,
  SIP2_MESSAGES,
  type Sip2FieldId,
  type Sip2MessageType,
  sip2Checksum,
} from '../../src/protocols/sip2/index.js';

const DATE = '20260302    100000';
const AO = 'RIVERSIDE';

/** Each request with every variable field its message has, all valid. */
export const FULL_REQUESTS: AnySip2MessageInput[] = [
  {
    type: 'login',
    uidAlgorithm: '0',
    pwdAlgorithm: '0',
    loginUserId: 'u',
    loginPassword: 'p',
    locationCode: 'MAIN',
  },
  {
    type: 'checkout',
    scRenewalPolicy: true,
    noBlock: false,
    transactionDate: DATE,
    nbDueDate: null,
    institutionId: AO,
    patronIdentifier: '21000001',
    itemIdentifier: '31000005',
    terminalPassword: '',
    itemProperties: 'x',
    patronPassword: '1234',
    feeAcknowledged: false,
    cancel: false,
  },
  {
    type: 'checkin',
    noBlock: false,
    transactionDate: DATE,
    returnDate: DATE,
    currentLocation: 'MAIN',
    institutionId: AO,
    itemIdentifier: '31000005',
    terminalPassword: '',
    itemProperties: 'x',
    cancel: false,
  },
  {
    type: 'patronStatusRequest',
    language: 'english',
    transactionDate: DATE,
    institutionId: AO,
    patronIdentifier: '21000001',
    terminalPassword: '',
    patronPassword: '1234',
  },
  {
    type: 'patronInformation',
    language: 'english',
    transactionDate: DATE,
    summary: 'chargedItems',
    institutionId: AO,
    patronIdentifier: '21000001',
    terminalPassword: '',
    patronPassword: '1234',
    startItem: '1',
    endItem: '5',
  },
  {
    type: 'itemInformation',
    transactionDate: DATE,
    institutionId: AO,
    itemIdentifier: '31000005',
    terminalPassword: '',
  },
  {
    type: 'renew',
    thirdPartyAllowed: false,
    noBlock: false,
    transactionDate: DATE,
    nbDueDate: null,
    institutionId: AO,
    patronIdentifier: '21000001',
    patronPassword: '1234',
    itemIdentifier: '31000005',
    titleIdentifier: 'Dune',
    terminalPassword: '',
    itemProperties: 'x',
    feeAcknowledged: false,
  },
  {
    type: 'renewAll',
    transactionDate: DATE,
    institutionId: AO,
    patronIdentifier: '21000001',
    patronPassword: '1234',
    terminalPassword: '',
    feeAcknowledged: false,
  },
  {
    type: 'endPatronSession',
    transactionDate: DATE,
    institutionId: AO,
    patronIdentifier: '21000001',
    terminalPassword: '',
    patronPassword: '1234',
  },
  {
    type: 'feePaid',
    transactionDate: DATE,
    feeType: 'overdue',
    paymentType: 'cash',
    currencyType: 'SEK',
    feeAmount: '1.00',
    institutionId: AO,
    patronIdentifier: '21000001',
    terminalPassword: '',
    patronPassword: '1234',
    feeIdentifier: 'F1',
    transactionId: 'T1',
  },
  {
    type: 'hold',
    holdMode: 'add',
    transactionDate: DATE,
    expirationDate: DATE,
    pickupLocation: 'MAIN',
    holdType: 'specificCopy',
    institutionId: AO,
    patronIdentifier: '21000001',
    patronPassword: '1234',
    itemIdentifier: '31000005',
    titleIdentifier: 'Dune',
    terminalPassword: '',
    feeAcknowledged: false,
  },
  {
    type: 'itemStatusUpdate',
    transactionDate: DATE,
    institutionId: AO,
    itemIdentifier: '31000005',
    terminalPassword: '',
    itemProperties: 'x',
  },
  {
    type: 'patronEnable',
    transactionDate: DATE,
    institutionId: AO,
    patronIdentifier: '21000001',
    terminalPassword: '',
    patronPassword: '1234',
  },
  {
    type: 'blockPatron',
    cardRetained: false,
    transactionDate: DATE,
    institutionId: AO,
    blockedCardMessage: 'blocked',
    patronIdentifier: '21000001',
    terminalPassword: '',
  },
] as AnySip2MessageInput[];

export interface OversizedRequest {
  type: Sip2MessageType;
  /** The request type's answer (93 → 94, 01 → 24, …). */
  answerType: Sip2MessageType;
  field: Sip2FieldId;
  length: number;
  /** The frame's body (no AY/AZ, no terminator). */
  body: string;
}

/** Digits and letters, so no id is a number the ILS might read as another. */
const longValue = (length: number) => '7A'.repeat(Math.ceil(length / 2)).slice(0, length);

/** The body of `message` with field `id` holding `value` instead (the field keeps its place). */
function withFieldValue(message: AnySip2MessageInput, id: Sip2FieldId, value: string): string {
  const body = encodeSip2Body(message);
  const code = body.slice(0, 2);
  const spec = SIP2_MESSAGES[message.type];
  let fixed = 2;
  for (const field of spec.fixed) fixed += field.width;
  const fields = body.slice(fixed).split('|');
  const at = fields.findIndex((field) => field.startsWith(id));
  if (at < 0) throw new Error(`${code} has no ${id} in its full form`);
  fields[at] = id + value;
  return body.slice(0, fixed) + fields.join('|');
}

/** Every request, every variable field in turn, `length` characters long. */
export function oversizedRequests(length: number): OversizedRequest[] {
  const out: OversizedRequest[] = [];
  for (const message of FULL_REQUESTS) {
    const spec = SIP2_MESSAGES[message.type] as { fields: Record<string, unknown>; response?: string };
    for (const id of Object.keys(spec.fields) as Sip2FieldId[]) {
      out.push({
        type: message.type,
        answerType: (message.type === 'login' ? 'loginResponse' : spec.response) as Sip2MessageType,
        field: id,
        length,
        body: withFieldValue(message, id, longValue(length)),
      });
    }
  }
  return out;
}

/** A body with AY<sequence>AZ<checksum> and CR. */
export function frameOf(body: string, sequence: number): Buffer {
  const bytes = encodeSip2Text(`${body}AY${sequence}AZ`, 'utf-8');
  return Buffer.concat([bytes, Buffer.from(`${sip2Checksum(bytes)}\r`, 'latin1')]);
}

/** Every variable field value of a decoded message (lists flattened, extra fields included). */
export function variableValues(message: AnySip2Message): Array<{ name: string; value: string }> {
  const spec = SIP2_MESSAGES[message.type];
  const fixedNames = new Set<string>(spec.fixed.map((field) => field.name));
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, value] of Object.entries(message)) {
    if (name === 'type' || name === 'sequence' || fixedNames.has(name)) continue;
    if (name === 'extraFields') {
      for (const extra of (value ?? []) as Array<{ id: string; value: string }>)
        out.push({ name: extra.id, value: extra.value });
    } else if (typeof value === 'string') out.push({ name, value });
    else if (Array.isArray(value)) for (const item of value) out.push({ name, value: String(item) });
    else if (value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string')
      out.push({ name, value: (value as { code: string }).code });
  }
  return out;
}

/** How an answer says the request was not carried out (undefined: the message has no such flag). */
export function refusedFlags(message: AnySip2Message): Record<string, unknown> | undefined {
  const m = message as AnySip2Message & Record<string, unknown>;
  switch (message.type) {
    case 'loginResponse':
    case 'checkoutResponse':
    case 'renewResponse':
    case 'checkinResponse':
    case 'renewAllResponse':
    case 'holdResponse':
      return { ok: m.ok };
    case 'patronStatusResponse':
    case 'patronEnableResponse':
    case 'patronInformationResponse':
      return { validPatron: m.validPatron };
    case 'feePaidResponse':
      return { paymentAccepted: m.paymentAccepted };
    case 'itemStatusUpdateResponse':
      return { itemPropertiesOk: m.itemPropertiesOk };
    case 'endSessionResponse':
      return { endSession: m.endSession };
    default:
      return undefined;
  }
}

/**
 * What is wrong with the answer to an oversized request, in words (empty: nothing):
 * it must be the request's answer type with its sequence number, a frame the codec
 * reads with a valid checksum, every field within 255 characters, the oversized
 * field never echoed cut short (a shorter id names another patron or item), the
 * request refused, and a screen message saying so (a long Y/N flag excepted).
 */
export function oversizedAnswerProblems(
  request: OversizedRequest,
  frame: Uint8Array | undefined,
  sequence: number,
): string[] {
  if (frame === undefined) return ['no answer'];
  const decoded = decodeSip2Message(frame, { checksumMismatch: 'error' });
  if (!decoded.ok) return [`unreadable answer (${decoded.error.code})`];
  const answer = decoded.message;
  const problems: string[] = [];
  if (answer.type !== request.answerType) problems.push(`answered ${answer.type}`);
  if (decoded.checksum !== 'valid') problems.push(`checksum ${decoded.checksum}`);
  if (answer.type !== 'requestScResend' && answer.sequence !== sequence)
    problems.push(`sequence ${answer.sequence}`);
  for (const { name, value } of variableValues(answer)) {
    if (value.length > MAX_FIELD_LENGTH) problems.push(`${name} is ${value.length} characters`);
  }
  const echoName = SIP2_FIELDS[request.field].name;
  const echo = (answer as unknown as Record<string, unknown>)[echoName];
  if (typeof echo === 'string' && echo !== '')
    problems.push(`${request.field} echoed as ${echo.length} characters`);
  // A Y/N flag (BO, BI) is read from its value, Y or else N, like any malformed flag, and never
  // echoed: the request may be carried out. Every other long field is refused.
  if (SIP2_FIELDS[request.field].kind === 'flag') return problems;
  const flags = refusedFlags(answer);
  if (flags) {
    for (const [name, value] of Object.entries(flags))
      if (value !== false) problems.push(`${name} is ${value}`);
  }
  const screen = (answer as { screenMessage?: string[] }).screenMessage;
  if (answer.type !== 'loginResponse' && !screen?.some((line) => line.length > 0))
    problems.push('no screen message');
  return problems;
}
