/**
 * A library item's (or patron card's) tag described by what a person knows of
 * it — its barcode, its use, its owner library, its part of a set — and
 * whether it is secured: the form a simulated pad's control API, its CLI and a
 * config file all take. `itemTagMemory` makes the ISO 28560-3 memory image.
 */
import { z } from 'zod';
import { encodeIso28560Part3 } from './part3.js';

/** The DSFID an ISO 28560-3 tag carries (data format 0x1E, locked: 0x3E). */
export const ITEM_TAG_DSFID = 0x3e;
/** AFI of an item in the library: the gates alarm (ISO 28560-1). */
export const SECURED_AFI = 0x07;
/** AFI of an item on loan. */
export const UNSECURED_AFI = 0xc2;

/** The barcode (primary item identifier), or a patron's card number. */
export const itemTagId = z
  .string()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[\x20-\x7E]*$/, 'must be printable ASCII');

/** Everything but the barcode; `owner` has no default here (each caller names its library). */
export const itemTagFields = {
  usage: z.enum(['circulating', 'patron-card']).default('circulating'),
  /** Owner library ISIL, e.g. SE-RPL. */
  owner: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[A-Za-z0-9:/-]*$/, 'must be an ISIL such as SE-RPL'),
  /** One part of a multi-part item. */
  set: z
    .strictObject({ part: z.number().int().min(1).max(255), parts: z.number().int().min(1).max(255) })
    .refine((set) => set.part <= set.parts, { message: 'part must be at most parts' })
    .optional(),
  /**
   * true: as on the shelf (AFI 0x07; a simulated tag's EAS bit on too); false: as on loan (AFI
   * 0xC2, EAS off). When not said, an item is secured
   * and a patron card is not: the patron carries it out through the gates every day.
   */
  secured: z.boolean().optional(),
};

export interface ItemTagSpec {
  id: string;
  usage?: 'circulating' | 'patron-card' | undefined;
  owner: string;
  set?: { part: number; parts: number } | undefined;
}

/** The tag's user memory: the ISO 28560-3 basic block (and a library extension for long ids). */
export function itemTagMemory(spec: ItemTagSpec): Uint8Array {
  return encodeIso28560Part3({
    primaryItemId: spec.id,
    typeOfUsage: spec.usage ?? 'circulating',
    ownerLibrary: spec.owner,
    ...(spec.set ? { set: spec.set } : {}),
  });
}

/**
 * Whether a tag starts secured: as `secured` says, else an item is (on the shelf, the gates alarm)
 * and a patron card is not (never an alarm: it is the patron's, not the library's to keep in).
 */
export function itemTagSecured(secured: boolean | undefined, usage?: 'circulating' | 'patron-card'): boolean {
  return secured ?? usage !== 'patron-card';
}

/** The AFI a tag starts with: 0x07 secured (see itemTagSecured), 0xC2 not. */
export function itemTagAfi(secured: boolean | undefined, usage?: 'circulating' | 'patron-card'): number {
  return itemTagSecured(secured, usage) ? SECURED_AFI : UNSECURED_AFI;
}

/**
 * What the encoder says against a spec whose fields each look right (an ISIL
 * too long to compact, an id that does not fit), and which field it concerns;
 * undefined when the tag can be made.
 */
export function itemTagProblem(
  spec: ItemTagSpec,
): { field: 'id' | 'owner' | undefined; message: string } | undefined {
  try {
    itemTagMemory(spec);
    return undefined;
  } catch (error) {
    const field = (error as { field?: string }).field;
    return {
      field: field === 'ownerLibrary' ? 'owner' : field === 'primaryItemId' ? 'id' : undefined,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}
