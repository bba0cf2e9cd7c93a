/**
 * Whether two values say the same as JSON — what `JSON.stringify(a) ===
 * JSON.stringify(b)` asks, key order aside — without writing either out: it
 * walks both and stops at the first difference. Object keys whose value is
 * undefined count as absent, non-finite numbers as null, a value with `toJSON`
 * (a Date) as what that returns, and anything else that is not a plain object
 * or array (a Map, a typed array) is compared by its JSON text.
 * For health records, compared on every condition a driver reports.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (hasToJson(a)) return jsonEqual(a.toJSON(), b);
  if (hasToJson(b)) return jsonEqual(a, b.toJSON());
  if (typeof a === 'number' && typeof b === 'number') return !Number.isFinite(a) && !Number.isFinite(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return asNull(a) && asNull(b);
  if (Array.isArray(a)) return Array.isArray(b) && sameItems(a, b);
  if (Array.isArray(b)) return false;
  if (!isPlain(a) || !isPlain(b)) return JSON.stringify(a) === JSON.stringify(b);
  return sameEntries(a as Record<string, unknown>, b as Record<string, unknown>);
}

/** Values JSON writes as null (a non-finite number), or leaves out of an object (undefined). */
function asNull(value: unknown): boolean {
  return value === null || (typeof value === 'number' && !Number.isFinite(value));
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    // In an array, undefined is written as null.
    if (!jsonEqual(a[i] === undefined ? null : a[i], b[i] === undefined ? null : b[i])) return false;
  }
  return true;
}

function sameEntries(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let count = 0;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    const value = a[key];
    if (value === undefined) continue;
    count++;
    if (!Object.hasOwn(b, key) || !jsonEqual(value, b[key])) return false;
  }
  for (const key in b) {
    if (Object.hasOwn(b, key) && b[key] !== undefined) count--;
  }
  return count === 0;
}
