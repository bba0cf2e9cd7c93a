/**
 * What a request's data may look like before an operation reads it, HTTP bodies and MQTT actions
 * alike: only the fields its schema names, a field it does not name refused rather than dropped
 * unread (a misspelt `requestID` would let a payment sent again after a lost answer be made twice);
 * and no deeper than an operation's own work may walk by recursion (its request id's fingerprint, a
 * receipt template).
 */

/** The fields an object schema names (a union's, a pipe's input's…); undefined when it takes any. */
export function fieldsOf(schema: unknown): ReadonlySet<string> | undefined {
  const def = (schema as { _zod?: { def?: ZodDefinition } })._zod?.def;
  if (def === undefined) return undefined;
  switch (def.type) {
    case 'object': {
      const catchall = (def.catchall as { _zod?: { def?: ZodDefinition } } | undefined)?._zod?.def;
      if (catchall !== undefined && catchall.type !== 'never') return undefined;
      return new Set(Object.keys(def.shape ?? {}));
    }
    case 'union': {
      const names = new Set<string>();
      for (const option of def.options ?? []) {
        const fields = fieldsOf(option);
        if (fields === undefined) return undefined;
        for (const field of fields) names.add(field);
      }
      return names;
    }
    case 'pipe':
      return fieldsOf(def.in);
    case 'optional':
    case 'nullable':
    case 'default':
      return fieldsOf(def.innerType);
    default:
      return undefined;
  }
}

/** What of a zod schema's definition `fieldsOf` reads. */
interface ZodDefinition {
  type: string;
  shape?: Record<string, unknown>;
  catchall?: unknown;
  options?: readonly unknown[];
  in?: unknown;
  innerType?: unknown;
}

/** The field a client meant by `key`, when it differs only in case, `_` or `-` (`requestID`, `request_id`). */
export function meantField(key: string, known: Iterable<string>): string | undefined {
  const plain = key.toLowerCase().replace(/[_-]/g, '');
  for (const name of known) if (name.toLowerCase() === plain) return name;
  return undefined;
}

/** The keys of `value` (a plain object) that `fields` does not name; none for anything else. */
export function unknownFields(value: unknown, fields: ReadonlySet<string>): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.keys(value).filter((key) => !fields.has(key));
}

/** Objects and arrays within each other in a request's data, at most; no operation needs a tenth of it. */
export const MAX_DATA_DEPTH = 64;

/** True when `value` holds objects or arrays nested more than `max` deep; walked without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  // Most requests are one object of plain values (a checkout): nothing to walk, nothing made.
  let flat = true;
  for (const key in value)
    if (typeof (value as Record<string, unknown>)[key] === 'object') {
      flat = false;
      break;
    }
  if (flat) return max < 1;
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    const depth = next.depth + 1;
    if (depth > max) return true;
    for (const inner of Object.values(next.value)) pending.push({ value: inner, depth });
  }
  return false;
}
