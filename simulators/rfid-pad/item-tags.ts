/**
 * Item tags by barcode: a library item's (or patron card's) ISO 28560-3 memory image, made
 * with the repository's own encoder, so a developer can put a sample-library item on a
 * simulated pad without hand-encoding its memory.
 */
import { z } from 'zod';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';

/** The DSFID an ISO 28560-3 tag carries (data format 0x1E, locked: 0x3E). */
export const ITEM_TAG_DSFID = 0x3e;
/** AFI of an item in the library: the gates alarm (ISO 28560-1). */
export const SECURED_AFI = 0x07;
/** AFI of an item on loan. */
export const UNSECURED_AFI = 0xc2;
/** The sample library's ISIL (simulators/ils/fixtures). */
export const SAMPLE_OWNER_LIBRARY = 'SE-RPL';

export const itemTagSchema = z
  .strictObject({
    /** The item's barcode (primary item identifier), or the patron's card number. */
    id: z
      .string()
      .min(1, 'must not be empty')
      .max(32, 'must be at most 32 characters')
      .regex(/^[\x20-\x7E]*$/, 'must be printable ASCII'),
    usage: z.enum(['circulating', 'patron-card']).default('circulating'),
    /** Owner library ISIL, e.g. SE-RPL. */
    owner: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[A-Za-z0-9:/-]*$/, 'must be an ISIL such as SE-RPL')
      .default(SAMPLE_OWNER_LIBRARY),
    /** One part of a multi-part item. */
    set: z
      .strictObject({ part: z.number().int().min(1).max(255), parts: z.number().int().min(1).max(255) })
      .refine((set) => set.part <= set.parts, { message: 'part must be at most parts' })
      .optional(),
    /** true (default): AFI 0x07 as on the shelf; false: 0xC2 as on loan. */
    secured: z.boolean().default(true),
  })
  .superRefine((item, ctx) => {
    // The encoder's own checks, once the fields themselves are right.
    if (!/^[\x20-\x7E]+$/.test(item.id)) return;
    try {
      itemTagMemory(item);
    } catch (error) {
      const field = (error as { field?: string }).field;
      const path = field === 'ownerLibrary' ? ['owner'] : field === 'primaryItemId' ? ['id'] : [];
      ctx.addIssue({ code: 'custom', path, message: (error as Error).message });
    }
  });

export type ItemTag = z.input<typeof itemTagSchema>;

/** Checks an item tag spec, filling in the defaults; throws RangeError saying what is wrong. */
export function checkItemTag(item: ItemTag): z.output<typeof itemTagSchema> {
  const result = itemTagSchema.safeParse(item);
  if (!result.success)
    throw new RangeError(
      `item: ${result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message).join('; ')}`,
    );
  return result.data;
}

/** The tag's user memory: the ISO 28560-3 basic block (and a library extension for long ids). */
export function itemTagMemory(item: ItemTag): Uint8Array {
  return encodeIso28560Part3({
    primaryItemId: item.id,
    typeOfUsage: item.usage ?? 'circulating',
    ownerLibrary: item.owner ?? SAMPLE_OWNER_LIBRARY,
    ...(item.set ? { set: item.set } : {}),
  });
}

/** The AFI the item's tag starts with. */
export function itemTagAfi(item: ItemTag): number {
  return item.secured === false ? UNSECURED_AFI : SECURED_AFI;
}

/**
 * `31000004` or `31000013:2/3` (part 2 of 3), as the CLI's `--items` takes them.
 * Throws RangeError on anything else.
 */
export function parseItemArgument(text: string): ItemTag {
  const match = /^([^:]+)(?::(\d{1,3})\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not an item barcode (e.g. 31000004 or 31000013:1/3)`);
  const [, id, part, parts] = match;
  return checkItemTag({
    id: id!,
    ...(part !== undefined && parts !== undefined
      ? { set: { part: Number(part), parts: Number(parts) } }
      : {}),
  });
}
