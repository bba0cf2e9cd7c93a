import type { z } from 'zod';

/** One problem in a configuration file: where it is and what is wrong, in a plain sentence. */
export interface ConfigIssue {
  /** `devices[0].transport.port`; empty for the file as a whole (syntax, empty file). */
  path: string;
  message: string;
}

export type ConfigPath = ReadonlyArray<PropertyKey>;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['devices', 0, 'transport', 'port']` → `devices[0].transport.port`. */
export function formatConfigPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'symbol') out += `[${String(segment)}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Keys whose values are secrets: an error about them never repeats the value. */
const SECRET_KEYS = new Set(['token', 'password', 'passwd', 'pin', 'secret', 'username']);
/** …and keys that end in one (`clientSecret`, `terminalPassword`, `ilsPassword`). */
const SECRET_SUFFIX = /(token|password|passwd|secret)$/;

/** How a value the user wrote is shown in an error: short, and never a secret. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of settings',
  null: 'null',
};

function listValues(values: ReadonlyArray<unknown>): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function sizeSentence(
  kind: 'at least' | 'at most',
  origin: string,
  bound: number | bigint,
  inclusive: boolean,
): string {
  if (origin === 'string') {
    if (kind === 'at least' && Number(bound) === 1) return 'must not be empty';
    return `must be ${kind} ${bound} characters long`;
  }
  if (origin === 'array' || origin === 'set') {
    if (kind === 'at least' && Number(bound) === 1) return 'must have at least one entry';
    return `must have ${kind} ${bound} entries`;
  }
  if (!inclusive) return `must be ${kind === 'at least' ? 'greater' : 'less'} than ${bound}`;
  return `must be ${kind} ${bound}`;
}

/** Collects the values allowed by a union of literals, or undefined when it is a union of shapes. */
function unionLiteralValues(errors: ReadonlyArray<ReadonlyArray<z.core.$ZodIssue>>): unknown[] | undefined {
  const values: unknown[] = [];
  for (const branch of errors) {
    const [first] = branch;
    if (branch.length !== 1 || first?.code !== 'invalid_value' || first.path.length !== 0) return undefined;
    values.push(...first.values);
  }
  return values.length > 0 ? values : undefined;
}

/**
 * A number or true/false copied in quotes (`port: "8080"`, another desk's file or a script's JSON):
 * what to write instead, `: write it without quotes, port: 8080`; '' for any other value.
 */
function unquoted(expected: string, input: unknown, key: PropertyKey | undefined): string {
  if (typeof input !== 'string') return '';
  const text = input.trim();
  const fits =
    expected === 'number' || expected === 'int'
      ? /^-?\d+(\.\d+)?$/.test(text)
      : expected === 'boolean' && /^(true|false)$/i.test(text);
  if (!fits) return '';
  const written = expected === 'boolean' ? text.toLowerCase() : text;
  return `: write it without quotes, ${typeof key === 'string' ? `${key}: ` : ''}${written}`;
}

/** ` (did you mean "embedded"?)` for a value misspelt or in other capitals than one allowed; '' otherwise. */
function meant(input: unknown, allowed: ReadonlyArray<unknown>): string {
  if (typeof input !== 'string') return '';
  const words = allowed.filter((value): value is string => typeof value === 'string');
  const suggestion =
    words.find((word) => word.toLowerCase() === input.trim().toLowerCase()) ??
    suggestKey(input.trim(), words);
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/**
 * The sentence for one zod issue. `hasCustom` is true when the schema gave its own message
 * (e.g. the device id pattern), which is kept.
 */
export function describeZodIssue(issue: z.core.$ZodIssue, hasCustom: boolean): string {
  const hasInput = 'input' in issue;
  const input = (issue as { input?: unknown }).input;
  const last = issue.path[issue.path.length - 1];
  const key = typeof last === 'string' ? last.toLowerCase() : undefined;
  const secret = key !== undefined && (SECRET_KEYS.has(key) || SECRET_SUFFIX.test(key));
  // A custom issue (a cross-check such as a duplicate id) names what it found itself.
  const got = hasInput && !secret && issue.code !== 'custom' ? `, got ${describeValue(input)}` : '';
  if (hasCustom) return `${issue.message}${got}`;

  switch (issue.code) {
    case 'invalid_type':
      if (!hasInput || input === undefined) return 'is required';
      // YAML reads a section with nothing under it (`storage:`) as null.
      if (input === null && issue.expected === 'object') return 'is empty: give it settings or write {}';
      return `must be ${EXPECTED_WORDS[issue.expected] ?? issue.expected}${got}${got && unquoted(issue.expected, input, last)}`;
    case 'too_small':
      return `${sizeSentence('at least', issue.origin, issue.minimum, issue.inclusive ?? true)}${got}`;
    case 'too_big':
      return `${sizeSentence('at most', issue.origin, issue.maximum, issue.inclusive ?? true)}${got}`;
    case 'invalid_value':
      if (issue.values.length === 1) return `must be ${listValues(issue.values)}${got}`;
      return `must be one of ${listValues(issue.values)}${got}${got && meant(input, issue.values)}`;
    case 'invalid_union': {
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const value =
          input !== null && typeof input === 'object'
            ? (input as Record<string, unknown>)[issue.discriminator]
            : undefined;
        if (value === undefined) {
          // `mdoe: embedded` leaves the mode missing, and the schema says only that: name the typo.
          const typo =
            input !== null && typeof input === 'object'
              ? Object.keys(input).find(
                  (key) => suggestKey(key, [issue.discriminator as string]) !== undefined,
                )
              : undefined;
          const hint = typo === undefined ? '' : ` (is "${typo}" meant to be "${issue.discriminator}"?)`;
          return `is required: one of ${listValues(options)}${hint}`;
        }
        return `must be one of ${listValues(options)}, got ${describeValue(value)}${meant(value, options)}`;
      }
      const values = unionLiteralValues(issue.errors);
      if (values) return `must be one of ${listValues(values)}${got}${got && meant(input, values)}`;
      return `does not match any of the accepted forms${got}`;
    }
    case 'invalid_format':
      return `must be a valid ${issue.format}${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}${got}`;
    case 'invalid_key':
      return `has an invalid key${got}`;
    case 'invalid_element':
      return `has an invalid entry${got}`;
    case 'unrecognized_keys':
      // Expanded one key at a time by the caller, which knows the accepted keys.
      return `unknown setting(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * Edit distance for "did you mean" suggestions on misspelt settings: insertions, deletions,
 * substitutions and two neighbouring letters swapped each cost one (optimal string alignment).
 * A swap is the commonest typo ("hots" for "host"), and as two substitutions it came out too
 * far from a short key to be suggested.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between a's first i letters and b's first j.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The accepted key closest to a misspelt one, if it is close enough to be a likely typo. */
export function suggestKey(unknown: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lowered = unknown.toLowerCase();
  for (const candidate of known) {
    const distance = editDistance(lowered, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.min(3, Math.floor(unknown.length / 3)));
  return best !== undefined && bestDistance <= tolerance ? best : undefined;
}
