/**
 * Whether an ISO 28560-2 reading found by content alone is one the standard allows. Without a
 * DSFID of 0x06 nothing says a tag is part 2, and part 2 has no CRC: nearly any memory whose first
 * byte names OID 1 reads as *something* — a damaged ISO 28560-3 tag, a torn write, a flipped bit —
 * with a made-up item id and owner library. Such a reading is taken only when it keeps the
 * standard's rules (and an item id no longer than any Carrel writes); otherwise the tag is
 * unreadable (the desk looks at it), never an item.
 */

import type { RfidWarning } from './errors.js';
import type { Iso28560Part2Fields } from './part2.js';
import { PART2_ELEMENT_BY_OID } from './part2-elements.js';

/**
 * ISO 15511: an ISIL is a prefix (a country code, or a non-country prefix of 1–4 characters), a
 * hyphen and the library's identifier, at most 16 characters of A–Z, a–z, 0–9, `-`, `/` and `:`.
 */
const ISIL = /^[A-Za-z0-9]{1,4}-[A-Za-z0-9:/-]{1,11}$/;

/**
 * The longest primary item id taken from a tag found by content alone. The standard sets no
 * length; this is the longest Carrel writes (a simulated or programmed tag's id), and far past any
 * library barcode: a longer one is a part 2 length byte read out of other data.
 */
export const MAX_GUESSED_ITEM_ID_LENGTH = 32;

/** Whether `text` holds a character no library's item id does: a C0 or C1 control, DEL, U+FFFD. */
function hasUnprintable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f) || unit === 0xfffd) return true;
  }
  return false;
}

/** Why the reading is not one ISO 28560-2 allows, in words; undefined when it is. */
export function part2Implausibility(
  fields: Iso28560Part2Fields,
  warnings: readonly RfidWarning[],
): string | undefined {
  if (warnings.length > 0) return `the reading has warnings (${warnings.map((w) => w.code).join(', ')})`;
  const id = fields.primaryItemId;
  if (id.length === 0 || id.length > MAX_GUESSED_ITEM_ID_LENGTH)
    return `the primary item id has ${id.length} characters`;
  if (hasUnprintable(id)) return 'the primary item id holds control characters';
  const { elements } = fields;
  // The content parameter (OID 2) is the second element, and there whenever any element past it is.
  const contentAt = elements.findIndex((element) => element.oid === 2);
  if (contentAt > 1) return 'the content parameter is not the second element';
  if (contentAt === -1 && elements.some((element) => element.oid >= 3))
    return 'optional elements without a content parameter';
  for (const element of elements) {
    if (PART2_ELEMENT_BY_OID.get(element.oid)?.kind !== 'isil') continue;
    if (typeof element.value !== 'string' || element.value.length > 16 || !ISIL.test(element.value))
      return `OID ${element.oid} is not an ISIL`;
  }
  if (fields.set && (fields.set.parts < 1 || fields.set.part < 1 || fields.set.part > fields.set.parts))
    return 'the set information names a part outside the set';
  if (fields.typeOfUsage?.name === 'reserved') return 'the type of usage is a reserved class';
  return undefined;
}
