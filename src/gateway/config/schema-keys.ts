import type { z } from 'zod';
import type { ConfigPath } from '../../core/config-issues.js';

type AnySchema = z.core.$ZodType;

interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
  left?: AnySchema;
  right?: AnySchema;
  discriminator?: string;
  getter?: () => AnySchema;
}

function defOf(schema: AnySchema): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

/** Strips defaults, optionals and pipes down to the schema that gives the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else break;
  }
  return current;
}

function literalValues(schema: AnySchema): unknown[] {
  const def = schema._zod.def as unknown as { type: string; values?: unknown[]; entries?: object };
  if (def.type === 'literal' && def.values) return def.values;
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  return [];
}

/** Picks the union option that the user's input was meant to be (by discriminator), if any. */
function chooseOption(def: SchemaDef, input: unknown): AnySchema | undefined {
  const options = def.options ?? [];
  if (def.discriminator && input !== null && typeof input === 'object') {
    const value = (input as Record<string, unknown>)[def.discriminator];
    for (const option of options) {
      const shape = defOf(unwrap(option)).shape;
      const tag = shape?.[def.discriminator];
      if (tag && literalValues(unwrap(tag)).includes(value)) return option;
    }
  }
  return options.length === 1 ? options[0] : undefined;
}

/**
 * Whether an object schema has a field `name` (in any branch of a union or intersection, under
 * defaults, optionals and pipes): the API's routes whose body takes a `requestId` are found so.
 */
export function schemaHasField(schema: AnySchema, name: string): boolean {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def.shape !== undefined && Object.hasOwn(def.shape, name);
  if (def.type === 'union') return (def.options ?? []).some((option) => schemaHasField(option, name));
  if (def.type === 'intersection')
    return [def.left, def.right].some((side) => side !== undefined && schemaHasField(side, name));
  return false;
}

function child(value: unknown, segment: PropertyKey): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return (value as Record<PropertyKey, unknown>)[segment];
}

/**
 * The setting names an object accepts at `path`, following the user's own input through
 * discriminated unions (a `tcp` transport accepts `host`, a `serial` one `path`).
 */
export function knownKeysAt(schema: AnySchema, path: ConfigPath, input: unknown): string[] {
  let current: AnySchema | undefined = schema;
  let value = input;
  let index = 0;
  for (let guard = 0; current && guard < 256; guard++) {
    const node = unwrap(current);
    const def = defOf(node);
    if (def.type === 'union') {
      current = chooseOption(def, value);
      continue;
    }
    if (index === path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    const segment = path[index]!;
    if (def.type === 'object' && def.shape && typeof segment === 'string') current = def.shape[segment];
    else if (def.type === 'array' && def.element && typeof segment === 'number') current = def.element;
    else return [];
    value = child(value, segment);
    index++;
  }
  return [];
}
