/**
 * The relay passes an ILS answer on as it came (its AY/AZ and terminator
 * rewritten) only when that is exactly what decoding and encoding it again
 * would write: for random ILS answers of every message type the relay carries,
 * well formed or not, the pass-through bytes equal the full path's or the pass
 * through declines; and an answer the encoder wrote is always passed through.
 * The other way, the ILS link writes a self-check's request as it came only
 * when that is exactly what encoding the decoded request would write there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseIlsConfig } from '../../../src/devices/ils/config.js';
import { IlsConnection } from '../../../src/devices/ils/connection.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import { encodeAnswer, passThroughAnswer } from '../../../src/gateway/relay/answers.js';
import type { Sip2RelayAccount } from '../../../src/gateway/relay/config.js';
import { COMPILED_BY_TYPE, type CompiledMessage } from '../../../src/protocols/sip2/compiled.js';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  encodeSip2Text,
  SIP2_CHARSETS,
  SIP2_MESSAGES,
  type Sip2Charset,
  Sip2Codec,
  type Sip2MessageType,
  type Sip2VerbatimBody,
  sip2Checksum,
} from '../../../src/protocols/sip2/index.js';

/** Every answer the relay carries from the ILS: the responses of the requests it relays (93 it answers itself). */
const ANSWER_TYPES = [
  ...new Set(
    Object.entries(SIP2_MESSAGES)
      .filter(([type]) => type !== 'login')
      .map(([, spec]) => (spec as { response?: Sip2MessageType }).response)
      .filter((response): response is Sip2MessageType => response !== undefined),
  ),
];

const DATE = '20261203    142355';
const TEXTS = ['', 'Carrel', 'Zoë Brontë', 'Œuvres €5', 'ß', '日本語', '😀 emoji', 'a b', '12|?', 'y'];

const text = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TEXTS.filter((t) => !t.includes('|'))) },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.replace(/[|\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 260 }).map((n) => 'x'.repeat(n)) },
);

/** One fixed field's characters: mostly as the encoder writes them, sometimes not. */
/**
 * How an ILS answer is drawn: `tidy` as the encoder writes it, `near` so with now
 * and then one field written otherwise, `wild` anything.
 */
type Mode = 'tidy' | 'near' | 'wild';

function fixedArb(field: CompiledMessage['fixed'][number], mode: Mode): fc.Arbitrary<string> {
  if (mode === 'tidy') return tidyFixed(field);
  if (mode === 'near')
    return fc.oneof(
      { weight: 6, arbitrary: tidyFixed(field) },
      { weight: 1, arbitrary: fixedArb(field, 'wild') },
    );
  const { width } = field;
  const of = (chars: string) => fc.array(fc.constantFrom(...chars), { minLength: width, maxLength: width });
  switch (field.kind) {
    case 'flag':
      return fc.constantFrom('Y', 'N', 'Y', 'N', 'y', 'n', 'X');
    case 'bit':
      return fc.constantFrom('1', '0', '1', '0', 'Y');
    case 'ynu':
      return fc.constantFrom('Y', 'N', 'U', 'Y', 'N', 'U', 'u', '?');
    case 'char':
    case 'text':
      return fc
        .oneof({ weight: 2, arbitrary: of('abcXYZ019 ') }, { weight: 1, arbitrary: of('a|') })
        .map((chars) => chars.join(''));
    case 'digits':
      return fc
        .oneof(
          { weight: 6, arbitrary: of('0123456789') },
          { weight: 1, arbitrary: of(' ') },
          { weight: 1, arbitrary: of(' 12') },
        )
        .map((chars) => chars.join(''));
    case 'date18':
      return fc.constantFrom(DATE, DATE, ' '.repeat(18), `\t${' '.repeat(17)}`, '2026-12-03 14:23:5');
    case 'enum': {
      const codes = [...field.enumTable!.byCode.keys()].filter((code) => code.length === width);
      return fc
        .oneof({ weight: 8, arbitrary: fc.constantFrom(...codes) }, { weight: 1, arbitrary: of('0Z') })
        .map((value) => (Array.isArray(value) ? value.join('') : value));
    }
    case 'patronStatus':
      return fc
        .oneof({ weight: 4, arbitrary: of('Y ') }, { weight: 1, arbitrary: of('YN ') })
        .map((c) => c.join(''));
    case 'summary':
      return of('  Y').map((chars) => chars.join(''));
  }
}

/** One variable field's value by kind. */
function valueArb(field: CompiledMessage['fields'][number], mode: Mode): fc.Arbitrary<string> {
  if (mode === 'tidy') return tidyValue(field);
  if (mode === 'near')
    return fc.oneof(
      { weight: 8, arbitrary: tidyValue(field) },
      { weight: 1, arbitrary: valueArb(field, 'wild') },
    );
  switch (field.kind) {
    case 'flag':
      return fc.constantFrom('Y', 'N', 'Y', 'N', 'y', 'YN');
    case 'date':
      return fc.constantFrom(DATE, '', 'tomorrow');
    case 'enum':
      return fc.constantFrom(...[...field.enumTable!.byCode.keys()], 'Q9');
    case 'supportedMessages':
      return fc.constantFrom(
        'YYYYYYYYYYYYYYYY',
        'YNYNYNYNYNYNYNYN',
        'YYYYYYYYyYYYYYYY',
        'YYY',
        'YYYYYYYY YYYYYYY',
      );
    case 'text':
      return text;
  }
}

/** As an ILS that writes as the encoder does would: one draw in two. */
function tidyFixed(field: CompiledMessage['fixed'][number]): fc.Arbitrary<string> {
  const { width } = field;
  const of = (chars: string) =>
    fc.array(fc.constantFrom(...chars), { minLength: width, maxLength: width }).map((c) => c.join(''));
  switch (field.kind) {
    case 'flag':
      return fc.constantFrom('Y', 'N');
    case 'bit':
      return fc.constantFrom('1', '0');
    case 'ynu':
      return fc.constantFrom('Y', 'N', 'U');
    case 'char':
    case 'text':
      return of('abcXYZ019 ');
    case 'digits':
      return field.blank ? fc.oneof(of('0123456789'), of(' ')) : of('0123456789');
    case 'date18':
      return field.blank ? fc.constantFrom(DATE, ' '.repeat(18)) : fc.constant(DATE);
    case 'enum':
      return fc.constantFrom(...[...field.enumTable!.byCode.keys()].filter((code) => code.length === width));
    case 'patronStatus':
      return of('Y ');
    case 'summary':
      return fc.constant(' '.repeat(width));
  }
}

function tidyValue(field: CompiledMessage['fields'][number]): fc.Arbitrary<string> {
  switch (field.kind) {
    case 'flag':
      return fc.constantFrom('Y', 'N');
    case 'date':
      return fc.constantFrom(DATE, '', 'tomorrow');
    case 'enum':
      return fc.constantFrom(...[...field.enumTable!.byCode.keys()], 'Q9');
    case 'supportedMessages':
      return fc.constantFrom('YYYYYYYYYYYYYYYY', 'YNYNYNYNYNYNYNYN');
    case 'text':
      return fc.constantFrom(...TEXTS.filter((t) => !t.includes('|')));
  }
}

// Field ids are two upper-case letters or digits (a `|` before anything else is inside a value).
const EXTRA_IDS = ['ZZ', 'XY', 'Z9', '99', 'AY', 'AZ', 'a!', '!a', 'PB'];
const TAILS = ['AY+AZ', 'AY+AZ', 'none', 'AZ', 'AY|AZ', 'AY', 'bad AZ'] as const;

interface IlsAnswer {
  type: Sip2MessageType;
  frame: Uint8Array;
  ilsCharset: Sip2Charset;
  ilsErrorDetection: boolean;
}

/** A frame of one of `types`: fields random, shuffled or not, extras anywhere, tails of every kind. */
const sip2Frame = (types: Sip2MessageType[]): fc.Arbitrary<IlsAnswer> =>
  fc.tuple(fc.constantFrom(...types), fc.constantFrom<Mode>('tidy', 'near', 'wild')).chain(([type, mode]) => {
    const tidy = mode !== 'wild';
    const compiled = COMPILED_BY_TYPE.get(type)!;
    const fields = compiled.fields.map((field) =>
      fc
        .tuple(
          field.required && tidy
            ? fc.constant(true)
            : field.required
              ? fc.constantFrom(true, true, true, false)
              : fc.boolean(),
          fc.array(valueArb(field, mode), { minLength: 1, maxLength: field.repeatable ? 3 : 1 }),
        )
        .map(([present, values]) => (present ? values.map((value) => `${field.id}${value}|`) : [])),
    );
    return fc
      .record({
        type: fc.constant(type),
        fixed: fc.tuple(...compiled.fixed.map((field) => fixedArb(field, mode))),
        fields: fc.tuple(...fields),
        extras: fc.array(
          fc.record({
            id: mode === 'tidy' ? fc.constantFrom('ZZ', 'XY', 'PB') : fc.constantFrom(...EXTRA_IDS),
            value: text,
            // Where among the fields; an ILS that writes as the encoder does puts them last.
            at: tidy ? fc.constant(-1) : fc.nat(),
          }),
          { maxLength: 2 },
        ),
        swaps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: tidy ? 0 : 2 }),
        lastPipe: tidy ? fc.constant(true) : fc.constantFrom(true, true, true, false),
        tail: tidy ? fc.constantFrom('AY+AZ', 'none') : fc.constantFrom(...TAILS),
        sequence: fc.integer({ min: 0, max: 9 }),
        ilsCharset: fc.constantFrom(...SIP2_CHARSETS),
        wireCharset: fc.option(fc.constantFrom(...SIP2_CHARSETS), { freq: 4 }),
        ilsErrorDetection: fc.boolean(),
      })
      .map((drawn) => {
        const parts = drawn.fields.flat();
        for (const [a, b] of drawn.swaps) {
          if (parts.length < 2) break;
          const i = a % parts.length;
          const j = b % parts.length;
          [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        }
        for (const extra of drawn.extras)
          parts.splice(
            extra.at < 0 ? parts.length : extra.at % (parts.length + 1),
            0,
            `${extra.id}${extra.value}|`,
          );
        let body = compiled.code + drawn.fixed.join('') + parts.join('');
        if (!drawn.lastPipe && body.endsWith('|')) body = body.slice(0, -1);
        const charset = drawn.wireCharset ?? drawn.ilsCharset;
        const checked = (head: string) => {
          const sum = sip2Checksum(encodeSip2Text(head, charset));
          return head + (drawn.tail === 'bad AZ' ? '0000' : sum);
        };
        const wire =
          drawn.tail === 'AY+AZ'
            ? checked(`${body}AY${drawn.sequence}AZ`)
            : drawn.tail === 'AY|AZ'
              ? checked(`${body}AY${drawn.sequence}|AZ`)
              : drawn.tail === 'AZ' || drawn.tail === 'bad AZ'
                ? checked(`${body}AZ`)
                : drawn.tail === 'AY'
                  ? `${body}${body.endsWith('|') ? '' : '|'}AY${drawn.sequence}`
                  : body;
        return {
          type,
          frame: encodeSip2Text(wire, charset),
          ilsCharset: drawn.ilsCharset,
          ilsErrorDetection: drawn.ilsErrorDetection,
        };
      });
  });

/** An ILS answer of a carried type. */
const ilsAnswer = sip2Frame(ANSWER_TYPES);

interface SelfCheck {
  account: Sip2RelayAccount | undefined;
  /** The request's AY; undefined when it sent none. */
  sequence: number | undefined;
}

const selfCheck: fc.Arbitrary<SelfCheck> = fc
  .record({
    account: fc.option(
      fc.record({
        charset: fc.constantFrom(...SIP2_CHARSETS),
        terminator: fc.constantFrom('CR' as const, 'CRLF' as const),
        errorDetection: fc.boolean(),
      }),
      { freq: 6 },
    ),
    sequence: fc.option(fc.integer({ min: 0, max: 9 }), { freq: 4, nil: undefined }),
  })
  .map(({ account, sequence }) => ({
    account:
      account === null
        ? undefined
        : ({ kioskUser: 'sc', kioskPassword: 'pw', ...account } as Sip2RelayAccount),
    sequence,
  }));

/** The ILS link's decode of the answer, as IlsConnection does it. */
function ilsDecode(frame: Uint8Array, charset: Sip2Charset, errorDetection: boolean) {
  return new Sip2Codec({ charset, errorDetection }).decode(frame);
}

/** The self-check's request as far as the answer goes: its sequence number. */
const requestWith = (sequence: number | undefined) =>
  ({ type: 'itemInformation', ...(sequence === undefined ? {} : { sequence }) }) as AnySip2Message;

/**
 * What the relay writes on the full path: the decoded answer as it is (the ILS's
 * sequence number in it), the request's echoed (0 when it had none), encoded.
 */
function fullPath(message: AnySip2Message, check: SelfCheck): Uint8Array | undefined {
  return encodeAnswer(message as AnySip2MessageInput, check.account, silentLogger(), check.sequence);
}

function fastPath(decoded: ReturnType<typeof ilsDecode>, check: SelfCheck): Uint8Array | undefined {
  if (!decoded.ok || !decoded.verbatim) return undefined;
  return passThroughAnswer(
    decoded.verbatim,
    decoded.message.type,
    requestWith(check.sequence),
    check.account,
  );
}

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('latin1') : 'none');

describe('SIP2 relay pass-through of ILS answers', () => {
  it('gives exactly the bytes decoding and encoding again gives, or declines', () => {
    let passed = 0;
    let declined = 0;
    let refused = 0;
    fc.assert(
      fc.property(ilsAnswer, selfCheck, (ils, check) => {
        const decoded = ilsDecode(ils.frame, ils.ilsCharset, ils.ilsErrorDetection);
        if (!decoded.ok) return;
        const fast = fastPath(decoded, check);
        if (fast === undefined) {
          declined++;
          if (fullPath(decoded.message, check) === undefined) refused++;
          return;
        }
        passed++;
        expect(hex(fast)).toBe(hex(fullPath(decoded.message, check)));
      }),
      { numRuns: 3000 },
    );
    // Both branches were exercised, not one of them only.
    // Both branches were taken, and declines include answers the full path refuses too.
    expect(passed).toBeGreaterThan(300);
    expect(declined).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(100);
  });

  it('passes on every answer that is written as the encoder writes it', () => {
    fc.assert(
      fc.property(ilsAnswer, selfCheck, (ils, check) => {
        const first = ilsDecode(ils.frame, ils.ilsCharset, ils.ilsErrorDetection);
        if (!first.ok) return;
        const written = fullPath(first.message, check);
        if (written === undefined) return;
        // An ILS that speaks as the self-check does and wrote this answer itself.
        const charset = check.account?.charset ?? 'utf-8';
        const errorDetection = check.account ? check.account.errorDetection : true;
        const decoded = ilsDecode(written, charset, errorDetection);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        if (decoded.message.type !== ils.type) return;
        expect(decoded.verbatim, hex(written)).toBeDefined();
        expect(hex(fastPath(decoded, check))).toBe(hex(written));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SIP2 relay pass-through, corners', () => {
  const check: SelfCheck = { account: undefined, sequence: 4 };

  it('declines a 98 whose fixed protocol version holds a |, which the full path refuses', () => {
    const decoded = ilsDecode(
      encodeSip2Text('98YYYNYN01000320261203    1423552.|0AOMAIN|BXYYYYYYYYYYYYYYYY|', 'utf-8'),
      'utf-8',
      false,
    );
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(fullPath(decoded.message, check)).toBeUndefined();
    expect(fastPath(decoded, check)).toBeUndefined();
  });

  it('passes on an 18 with an unknown field after the known ones, AY/AZ rewritten', () => {
    const decoded = ilsDecode(
      encodeSip2Text('1803020120261203    142355ABit-1|AJZoë|XZvendor value|AY7', 'utf-8'),
      'utf-8',
      false,
    );
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const fast = fastPath(decoded, check);
    expect(hex(fast)).toBe(hex(fullPath(decoded.message, check)));
    expect(Buffer.from(fast!).toString('utf8')).toMatch(
      /^1803020120261203 {4}142355ABit-1\|AJZoë\|XZvendor value\|AY4AZ[0-9A-F]{4}\r$/,
    );
  });
});

/** Every request the relay carries to the ILS: each that has an answer, bar the 93 it answers itself. */
const REQUEST_TYPES = (Object.entries(SIP2_MESSAGES) as Array<[Sip2MessageType, { response?: string }]>)
  .filter(([type, spec]) => spec.response !== undefined && type !== 'login')
  .map(([type]) => type);

interface IlsLink {
  charset: Sip2Charset;
  errorDetection: boolean;
  terminator: 'CR' | 'CRLF';
  /** A vendor field the link adds to every request of one message code. */
  extraFieldFor: string | null;
}

const ilsLink: fc.Arbitrary<IlsLink> = fc.record({
  charset: fc.constantFrom(...SIP2_CHARSETS),
  errorDetection: fc.boolean(),
  terminator: fc.constantFrom('CR' as const, 'CRLF' as const),
  extraFieldFor: fc.option(fc.constantFrom(...REQUEST_TYPES.map((type) => SIP2_MESSAGES[type].code)), {
    freq: 3,
  }),
});

/** What an ILS connection so set writes for the request (hex), or the code it refuses it with. */
async function ilsLinkWrites(
  link: IlsLink,
  request: AnySip2Message,
  asItCame?: Sip2VerbatimBody,
): Promise<string> {
  const transport = new MockTransport();
  const connection = new IlsConnection({
    transport,
    settings: parseIlsConfig({
      host: 'ils',
      port: 6001,
      charset: link.charset,
      errorDetection: link.errorDetection,
      terminator: link.terminator,
      extraFields:
        link.extraFieldFor === null ? [] : [{ id: 'XV', value: 'vendor', messages: [link.extraFieldFor] }],
    }),
    clock: systemClock,
    logger: silentLogger(),
  });
  await connection.open();
  const outcome = connection.send(request, asItCame).then(
    () => 'answered',
    (error: { code?: string }) => error.code ?? 'error',
  );
  const bytes = transport.written();
  await connection.close();
  const code = await outcome;
  return code === 'ils_bad_request' ? `refused: ${code}` : hex(bytes);
}

describe('SIP2 relay pass-through of self-check requests', () => {
  it('writes a request as it came only when encoding it would write the same', async () => {
    let verbatim = 0;
    await fc.assert(
      fc.asyncProperty(sip2Frame(REQUEST_TYPES), ilsLink, async (selfCheck, link) => {
        // The relay decodes in the self-check's charset, its checksum checked or not.
        const decoded = ilsDecode(selfCheck.frame, selfCheck.ilsCharset, selfCheck.ilsErrorDetection);
        if (!decoded.ok || !decoded.verbatim) return;
        verbatim++;
        const encoded = await ilsLinkWrites(link, decoded.message);
        expect(await ilsLinkWrites(link, decoded.message, decoded.verbatim)).toBe(encoded);
      }),
      { numRuns: 1500 },
    );
    expect(verbatim).toBeGreaterThan(300);
  });

  it("sends the link its own sequence number, not the self-check's", async () => {
    const decoded = ilsDecode(withChecksum('1720261203    142355AOMAIN|AB31000001|AC|AY7AZ'), 'utf-8', true);
    expect(decoded.ok && decoded.verbatim).toBeTruthy();
    if (!decoded.ok) return;
    const link: IlsLink = { charset: 'utf-8', errorDetection: true, terminator: 'CR', extraFieldFor: null };
    const written = await ilsLinkWrites(link, decoded.message, decoded.verbatim);
    // A new connection's first request is numbered 0.
    expect(Buffer.from(written, 'latin1').toString('utf8')).toMatch(
      /^1720261203 {4}142355AOMAIN\|AB31000001\|AC\|AY0AZ[0-9A-F]{4}\r$/,
    );
    expect(written).toBe(await ilsLinkWrites(link, decoded.message));
  });
});

function withChecksum(head: string): Uint8Array {
  return encodeSip2Text(head + sip2Checksum(encodeSip2Text(head, 'utf-8')), 'utf-8');
}
