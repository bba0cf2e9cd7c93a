/**
 * Item tags by barcode: a library item's (or patron card's) ISO 28560-3 memory image, made
 * with the repository's own encoder, so a developer can put a sample-library item on a
 * simulated pad without hand-encoding its memory.
 */
import { z } from 'zod';
import {
  itemTagAfi as afiFor,
  ITEM_TAG_DSFID,
  itemTagFields,
  itemTagId,
  itemTagProblem,
  itemTagMemory as memoryOf,
  SECURED_AFI,
  itemTagSecured as securedFor,
  UNSECURED_AFI,
} from '../../src/protocols/rfid/index.js';

export { ITEM_TAG_DSFID, SECURED_AFI, UNSECURED_AFI };
/** The sample library's ISIL (simulators/ils/fixtures). */
export const SAMPLE_OWNER_LIBRARY = 'SE-RPL';

export const itemTagSchema = z
  .strictObject({
    /** The item's barcode (primary item identifier), or the patron's card number. */
    id: itemTagId,
    ...itemTagFields,
    owner: itemTagFields.owner.default(SAMPLE_OWNER_LIBRARY),
  })
  .superRefine((item, ctx) => {
    // The encoder's own checks, once the fields themselves are right.
    if (!/^[\x20-\x7E]+$/.test(item.id)) return;
    const problem = itemTagProblem(item);
    if (problem)
      ctx.addIssue({ code: 'custom', path: problem.field ? [problem.field] : [], message: problem.message });
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
  return memoryOf({ ...item, owner: item.owner ?? SAMPLE_OWNER_LIBRARY });
}

/** The AFI the item's tag starts with: an item secured, a patron card not, unless `secured` says. */
export function itemTagAfi(item: ItemTag): number {
  return afiFor(item.secured, item.usage);
}

/**
 * The EAS bit the item's tag starts with: on where it is secured, as a library's tags carry what
 * its gates check, whether they check the AFI or the EAS bit.
 */
export function itemTagEas(item: ItemTag): boolean {
  return securedFor(item.secured, item.usage);
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
