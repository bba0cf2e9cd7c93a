/**
 * The ILS simulator's fixture: a small library described in YAML or JSON and
 * validated with zod. docs/ils-fixture.md explains every key. Cross-references
 * (an account's institution, a loan's item, a hold's patron…) are checked here so
 * the circulation engine can trust them.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../src/core/errors.js';
import { whyUnreadable } from '../../src/core/read-up-to.js';
import {
  CIRCULATION_STATUS,
  type CirculationStatus,
  FEE_TYPE,
  type FeeType,
  LANGUAGE,
  type Language,
  MEDIA_TYPE,
  type MediaType,
  PATRON_STATUS_FLAGS,
  SECURITY_MARKER,
  type SecurityMarker,
  SIP2_CHARSETS,
  SUPPORTED_MESSAGE_FLAGS,
} from '../../src/protocols/sip2/index.js';

const names = <N extends string>(table: { byName: ReadonlyMap<N, unknown> }) =>
  [...table.byName.keys()] as [N, ...N[]];

const mediaType = z.enum(names<MediaType>(MEDIA_TYPE));
const feeType = z.enum(names<FeeType>(FEE_TYPE));
const circulationStatus = z.enum(names<CirculationStatus>(CIRCULATION_STATUS));
const securityMarker = z.enum(names<SecurityMarker>(SECURITY_MARKER));
const language = z.enum(names<Language>(LANGUAGE));

const code = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^|\r\n]+$/, 'must not contain | or line breaks');
const text = z
  .string()
  .max(255)
  .regex(/^[^|\r\n]*$/, 'must not contain | or line breaks');

/** Money as a number (2.5) or a string ("2.50"), kept in cents. */
const money = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d{1,2})?$/, 'an amount like 2.50')])
  .transform((value) => Math.round(Number(value) * 100));

/**
 * A date: `2026-03-01` (end of that day, library time), `2026-03-01T10:00:00Z`,
 * or relative to the simulator's start: `+14d`, `-3d`, `now`.
 */
const dateText = z
  .string()
  .regex(
    /^(now|[+-]\d{1,5}d|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?)$/,
    'a date: YYYY-MM-DD, an ISO date-time, now, or relative like +14d / -3d',
  );

/** A day: `1964-09-25`. */
const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day: YYYY-MM-DD');

/** A limit: a number, or `none` for no limit at all (null after parsing). */
const noLimit = 'none' as const;
const limit = (min: number) =>
  z
    .union([z.number().int().min(min), z.literal(noLimit)], {
      error: `a whole number from ${min}, or ${noLimit} for no limit`,
    })
    .transform((value) => (value === noLimit ? null : value));

/** What the simulator does with a request BX says it does not support. */
export const UNSUPPORTED_ANSWERS = ['refuse', 'drop', 'silence'] as const;
/** What it does with a 99 that comes before a login. */
export const SC_STATUS_BEFORE_LOGIN = ['answer', 'ignore', 'drop'] as const;
/** The patron privileges a patron enable (25) restores. */
export const SUSPENDABLE_PRIVILEGES = ['charge', 'renewal', 'recall', 'hold'] as const;
export type SuspendablePrivilege = (typeof SUSPENDABLE_PRIVILEGES)[number];

const branch = z.object({ code, name: text });
const institution = z.object({ id: code, name: text, branches: z.array(branch).min(1) });

const account = z.object({
  loginUserId: code,
  password: text,
  /** CP of the login; also the branch the self-check stands in, when it names one. */
  location: code,
  institution: code,
  /** The branch where checkins happen; default `location` if it is a branch code, else the first branch. */
  branch: code.optional(),
  charset: z.enum(SIP2_CHARSETS as [string, ...string[]]).default('utf-8'),
  terminator: z.enum(['CR', 'CRLF']).default('CR'),
  /**
   * AY/AZ on answers: always, never, or `perRequest` — when the request carried
   * them (and a checksum that is there is checked), as SIPServer decides it.
   */
  errorDetection: z
    .union([z.boolean(), z.literal('perRequest')], { error: 'true, false or perRequest' })
    .default(true),
  /** AM in the 98 for this terminal; default `acs.libraryName`. Empty: no AM. */
  libraryName: text.optional(),
  /** The 98's checkin ok / checkout ok for this terminal; default the `acs` ones. */
  checkinOk: z.boolean().optional(),
  checkoutOk: z.boolean().optional(),
  /**
   * A checkin of an item that was not checked out: `refuse` answers ok 0 with a
   * screen message, as SIPServer and Koha do; `accept` answers ok 1 (Koha's checked_in_ok).
   */
  checkinNotCheckedOut: z.enum(['refuse', 'accept']).default('refuse'),
});

const statusFlags = z.partialRecord(z.enum(PATRON_STATUS_FLAGS), z.boolean());

const fee = z.object({
  id: code.optional(),
  type: feeType.default('overdue'),
  amount: money,
  item: code.optional(),
  description: text.optional(),
});

const patron = z.object({
  barcode: code,
  pin: text,
  name: text,
  email: text.optional(),
  phone: text.optional(),
  address: text.optional(),
  institution: code.optional(),
  homeBranch: code.optional(),
  language: language.optional(),
  expires: dateText.optional(),
  /** Extension fields of the 64: PB birth date, PC patron type, PI internet privileges. */
  birthDate: dayText.optional(),
  patronType: text.optional(),
  internetPrivileges: text.optional(),
  /** Privileges withdrawn until a patron enable (25) restores them. */
  suspendedPrivileges: z.array(z.enum(SUSPENDABLE_PRIVILEGES)).default([]),
  blocked: z.boolean().default(false),
  blockedMessage: text.optional(),
  status: statusFlags.default({}),
  fees: z.array(fee).default([]),
  /** Money the patron has in credit at the library (a refund, an overpayment): Koha's outstanding credits. */
  credit: money.default(0),
  holds: z.array(z.object({ item: code, pickup: code.optional() })).default([]),
  loans: z
    .array(
      z.object({
        item: code,
        due: dateText,
        checkedOut: dateText.optional(),
        renewals: z.number().int().nonnegative().default(0),
      }),
    )
    .default([]),
});

const item = z.object({
  barcode: code,
  title: text,
  author: text.optional(),
  mediaType: mediaType.default('book'),
  institution: code.optional(),
  /** AQ; none for an item that belongs to no branch (no AQ in 18, AQ empty in 10, never sent home). */
  owningBranch: code.optional(),
  currentBranch: code.optional(),
  status: circulationStatus.default('available'),
  securityMarker: securityMarker.default('tattleTape'),
  /** Default: true for tapes and diskettes. */
  magneticMedia: z.boolean().optional(),
  fee: z.object({ type: feeType.default('rental'), amount: money }).optional(),
  holdQueue: z.array(z.union([code, z.object({ patron: code, pickup: code.optional() })])).default([]),
  onHoldShelfFor: code.optional(),
  holdShelfUntil: dateText.optional(),
  /** Pieces in a multi-part set (a book with its CD, a boxed set). */
  parts: z.number().int().min(1).max(99).default(1),
  properties: text.optional(),
});

const MEDIA_KEYS = new Set<string>(['default', ...names<MediaType>(MEDIA_TYPE)]);

const circulation = z.object({
  /** Days per media type; `default` for the rest. */
  loanPeriodDays: z
    .record(z.string(), z.number().int().min(1).max(3650))
    .default({ default: 21 })
    .refine(
      (periods) => Object.keys(periods).every((key) => MEDIA_KEYS.has(key)),
      'keys are media types or default',
    ),
  loanLimit: limit(0).default(10),
  /** Outstanding fines and fees at or above this block checkout and renewal; `none`: nothing does. */
  fineThreshold: z
    .union([money, z.literal(noLimit)], { error: `an amount like 10.00, or ${noLimit} for no limit` })
    .transform((value) => (value === noLimit ? null : value))
    .default(1000),
  renewalLimit: limit(0).default(2),
  /** Default none. */
  overdueLimit: limit(1).default(null),
  holdLimit: limit(1).default(null),
  /** Overdue fine charged per day late at checkin. */
  finePerDay: money.default(0),
  /** A checkout of an item already charged to the same patron renews it (when the SC allows it too). */
  renewOnCheckout: z.boolean().default(true),
  holdShelfDays: z.number().int().min(1).default(7),
  sortBins: z.object({ holdShelf: text.default('HOLDS'), transit: text.default('TRANSIT') }).default({
    holdShelf: 'HOLDS',
    transit: 'TRANSIT',
  }),
});

const acs = z.object({
  timeoutPeriod: z.number().int().min(0).max(999).default(30),
  retriesAllowed: z.number().int().min(0).max(999).default(3),
  offlineOk: z.boolean().default(false),
  statusUpdateOk: z.boolean().default(true),
  /** Checkin ok / checkout ok in the 98; default Y unless BX marks the message unsupported. */
  checkinOk: z.boolean().optional(),
  checkoutOk: z.boolean().optional(),
  /** AM in the 98; default `library.name`. Empty: no AM. */
  libraryName: text.optional(),
  /** BX messages shown as N (unsupported). */
  unsupportedMessages: z.array(z.enum(SUPPORTED_MESSAGE_FLAGS)).default([]),
  /** Such a request is refused (its answer, "Not supported"), drops the connection, or gets no answer. */
  unsupportedAnswer: z
    .enum(UNSUPPORTED_ANSWERS, { error: `one of ${UNSUPPORTED_ANSWERS.join(', ')}` })
    .default('refuse'),
  /** A 99 before any login is answered (for the first institution), read and ignored, or drops the link. */
  scStatusBeforeLogin: z
    .enum(SC_STATUS_BEFORE_LOGIN, { error: `one of ${SC_STATUS_BEFORE_LOGIN.join(', ')}` })
    .default('answer'),
  /** Charset of the link before login (default utf-8). */
  defaultCharset: z.enum(SIP2_CHARSETS as [string, ...string[]]).default('utf-8'),
});

export const ilsFixtureSchema = z
  .object({
    version: z.literal(1).default(1),
    library: z.object({
      name: text,
      timeZone: z
        .string()
        .default('UTC')
        .refine((zone) => {
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: zone });
            return true;
          } catch {
            return false;
          }
        }, 'an IANA time zone'),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/, 'a 3-letter currency code')
        .default('USD'),
      language: language.default('english'),
    }),
    institutions: z.array(institution).min(1),
    accounts: z.array(account).min(1),
    /**
     * OAuth2 clients of the Koha-shaped REST API (client credentials); the `accounts`
     * logins are its basic-auth users as well.
     */
    restClients: z.array(z.object({ clientId: code, clientSecret: text })).default([]),
    circulation: circulation.default(circulation.parse({})),
    acs: acs.default(acs.parse({})),
    patrons: z.array(patron).default([]),
    items: z.array(item).default([]),
  })
  .superRefine((fixture, ctx) => {
    const issue = (path: Array<string | number>, message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const institutions = new Map(
      fixture.institutions.map((i) => [i.id, new Set(i.branches.map((b) => b.code))]),
    );
    const allBranches = new Set(fixture.institutions.flatMap((i) => i.branches.map((b) => b.code)));
    const patrons = new Set<string>();
    const items = new Set<string>();
    const logins = new Set<string>();
    fixture.accounts.forEach((a, i) => {
      if (logins.has(a.loginUserId)) issue(['accounts', i, 'loginUserId'], 'duplicate login user id');
      logins.add(a.loginUserId);
      if (!institutions.has(a.institution)) issue(['accounts', i, 'institution'], 'unknown institution');
      if (a.branch !== undefined && !allBranches.has(a.branch))
        issue(['accounts', i, 'branch'], 'unknown branch');
    });
    fixture.items.forEach((it, i) => {
      if (items.has(it.barcode)) issue(['items', i, 'barcode'], 'duplicate item barcode');
      items.add(it.barcode);
      if (it.institution !== undefined && !institutions.has(it.institution)) {
        issue(['items', i, 'institution'], 'unknown institution');
      }
      if (it.owningBranch !== undefined && !allBranches.has(it.owningBranch))
        issue(['items', i, 'owningBranch'], 'unknown branch');
      if (it.currentBranch !== undefined && !allBranches.has(it.currentBranch)) {
        issue(['items', i, 'currentBranch'], 'unknown branch');
      }
    });
    fixture.patrons.forEach((p, i) => {
      if (patrons.has(p.barcode)) issue(['patrons', i, 'barcode'], 'duplicate patron barcode');
      patrons.add(p.barcode);
      if (p.institution !== undefined && !institutions.has(p.institution)) {
        issue(['patrons', i, 'institution'], 'unknown institution');
      }
      if (p.homeBranch !== undefined && !allBranches.has(p.homeBranch)) {
        issue(['patrons', i, 'homeBranch'], 'unknown branch');
      }
    });
    const loaned = new Set<string>();
    fixture.patrons.forEach((p, i) => {
      p.loans.forEach((loan, j) => {
        if (!items.has(loan.item)) issue(['patrons', i, 'loans', j, 'item'], 'unknown item');
        if (loaned.has(loan.item)) issue(['patrons', i, 'loans', j, 'item'], 'item already on loan');
        loaned.add(loan.item);
      });
      p.holds.forEach((hold, j) => {
        if (!items.has(hold.item)) issue(['patrons', i, 'holds', j, 'item'], 'unknown item');
        if (hold.pickup !== undefined && !allBranches.has(hold.pickup)) {
          issue(['patrons', i, 'holds', j, 'pickup'], 'unknown branch');
        }
      });
      p.fees.forEach((f, j) => {
        if (f.item !== undefined && !items.has(f.item))
          issue(['patrons', i, 'fees', j, 'item'], 'unknown item');
      });
    });
    fixture.items.forEach((it, i) => {
      it.holdQueue.forEach((entry, j) => {
        const hold = typeof entry === 'string' ? { patron: entry, pickup: undefined } : entry;
        if (!patrons.has(hold.patron)) issue(['items', i, 'holdQueue', j], 'unknown patron');
        if (hold.pickup !== undefined && !allBranches.has(hold.pickup)) {
          issue(['items', i, 'holdQueue', j, 'pickup'], 'unknown branch');
        }
      });
      if (it.onHoldShelfFor !== undefined) {
        if (!patrons.has(it.onHoldShelfFor)) issue(['items', i, 'onHoldShelfFor'], 'unknown patron');
        if (loaned.has(it.barcode))
          issue(['items', i, 'onHoldShelfFor'], 'an item on loan is not on the hold shelf');
      }
    });
  });

/** The fixture as written (defaults not yet applied). */
export type IlsFixtureInput = z.input<typeof ilsFixtureSchema>;
/** The fixture after validation, defaults applied, money in cents. */
export type IlsFixture = z.output<typeof ilsFixtureSchema>;
export type AccountFixture = IlsFixture['accounts'][number];
export type PatronFixture = IlsFixture['patrons'][number];
export type ItemFixture = IlsFixture['items'][number];
export type CirculationRules = IlsFixture['circulation'];

/** Validates a fixture object; throws ConfigError listing every problem with its path. */
export function parseIlsFixture(input: unknown): IlsFixture {
  const result = ilsFixtureSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    })),
  );
}

/** Reads a YAML or JSON fixture file (JSON is YAML) and validates it. */
export async function loadIlsFixture(path: string): Promise<IlsFixture> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${whyUnreadable(error)}` }]);
  }
  let document: unknown;
  try {
    // JSON is YAML too, but a large JSON fixture parses a hundred times faster as JSON.
    document = path.endsWith('.json') ? JSON.parse(source) : parseYaml(source);
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `${path}: ${(error as Error).message}` }]);
  }
  return parseIlsFixture(document);
}
