/**
 * Type of usage (ISO 28560-1): a class nibble and, in part 2, a subclass nibble. Part 3 stores
 * only the class. Media format (other) codes shared by the part 3 library extension block.
 */

import { RfidEncodeError } from './errors.js';

export type TypeOfUsageName =
  | 'acquisition'
  | 'circulating'
  | 'not-for-circulation'
  | 'local-use'
  | 'no-information'
  | 'discarded'
  | 'patron-card'
  | 'equipment'
  | 'reserved';

export interface TypeOfUsage {
  /** 0..15: the class (part 3's whole value). */
  readonly class: number;
  /** 0..15: the subclass (part 2 only; 0 = unspecified). */
  readonly subclass: number;
  readonly name: TypeOfUsageName;
}

/** The type-of-usage names a tag can be written with, in class order. */
export const WRITABLE_TYPES_OF_USAGE = [
  'acquisition',
  'circulating',
  'not-for-circulation',
  'local-use',
  'no-information',
  'discarded',
  'patron-card',
  'equipment',
] as const satisfies readonly TypeOfUsageName[];

/** A class by name, a class number, or class and subclass. */
export type TypeOfUsageInput = TypeOfUsageName | number | { class: number; subclass?: number };

const CLASS_NAMES: readonly TypeOfUsageName[] = [
  'acquisition',
  'circulating',
  'not-for-circulation',
  'local-use',
  'local-use',
  'reserved',
  'no-information',
  'discarded',
  'patron-card',
  'equipment',
  'reserved',
  'reserved',
  'reserved',
  'reserved',
  'reserved',
  'reserved',
];

/** The class number each name is written as. */
export const TYPE_OF_USAGE_CLASS: Readonly<Record<Exclude<TypeOfUsageName, 'reserved'>, number>> = {
  acquisition: 0,
  circulating: 1,
  'not-for-circulation': 2,
  'local-use': 3,
  'no-information': 6,
  discarded: 7,
  'patron-card': 8,
  equipment: 9,
};

export function typeOfUsage(usageClass: number, subclass = 0): TypeOfUsage {
  const c = usageClass & 0x0f;
  return { class: c, subclass: subclass & 0x0f, name: CLASS_NAMES[c] ?? 'reserved' };
}

export function resolveTypeOfUsage(input: TypeOfUsageInput): TypeOfUsage {
  if (typeof input === 'string') {
    if (input === 'reserved' || !(input in TYPE_OF_USAGE_CLASS)) {
      throw new RfidEncodeError('rfid_invalid_value', 'type of usage name is not writable', 'typeOfUsage');
    }
    return typeOfUsage(TYPE_OF_USAGE_CLASS[input]);
  }
  const usageClass = typeof input === 'number' ? input : input.class;
  const subclass = typeof input === 'number' ? 0 : (input.subclass ?? 0);
  for (const [value, what] of [
    [usageClass, 'class'],
    [subclass, 'subclass'],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 15) {
      throw new RfidEncodeError('rfid_invalid_value', `type of usage ${what} must be 0..15`, 'typeOfUsage');
    }
  }
  return typeOfUsage(usageClass, subclass);
}

/**
 * Media format (other), ISO 28560-1: the code written in the part 3 library extension block
 * and in part 2's OID 19. Only 1 (book) is confirmed by a published vector.
 */
export const MEDIA_FORMATS: Readonly<Record<number, string>> = {
  0: 'undefined',
  1: 'book',
  2: 'cd-dvd',
  3: 'magnetic-tape',
  4: 'other',
  5: 'other-careful-handling',
};

export function mediaFormatName(code: number): string | undefined {
  return MEDIA_FORMATS[code];
}
