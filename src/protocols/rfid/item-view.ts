/**
 * The one reading of a library tag that the rest of Carrel uses: which item (or
 * patron card) the tag's user memory identifies, whatever data model wrote it
 * (ISO 28560-3, -2, 3M, UHF), as plain data safe for JSON. The pad, the gate
 * and the CLI all decode through this.
 */

import { reverseBlocks } from './byte-order.js';
import type { TagDecodeHints } from './decode-tag.js';
import { decodeTag, plausiblePart3, type TagDecodeResult } from './decode-tag.js';
import type { TypeOfUsageName } from './usage.js';

export interface ItemTagView {
  /** `28560-3`, `28560-2`, `3m`, `28560-4` or `blank`. */
  format: string;
  /** Whether the tag stores blocks reversed (some FEIG-written tags). */
  byteOrder: 'logical' | 'block-reversed';
  /** The item's barcode (a patron's card number on a patron card); '' on a blank tag. */
  primaryItemId: string;
  crc: 'valid' | 'invalid' | 'absent';
  /** Multi-part sets: part x of y. */
  set?: { part: number; parts: number };
  /** ISO 28560-1 type of usage (`circulating`, `patron-card`…), when the data model carries one. */
  typeOfUsage?: TypeOfUsageName;
  /** Owner library as written on the tag. */
  ownerLibrary?: string;
  /** Owner library as an ISIL, with its hyphen (`DK-718500`). */
  isil?: string;
  /** Decoder warnings (codes): the tag was read, but something in it is off. */
  warnings: string[];
}

/** The type of usage ISO 28560-1 gives a patron's library card. */
export const PATRON_CARD_USAGE: TypeOfUsageName = 'patron-card';

/** True when the tag is a patron's card: its primary item id is the patron's id. */
export function isPatronCard(item: { typeOfUsage?: string | undefined } | null | undefined): boolean {
  return item?.typeOfUsage === PATRON_CARD_USAGE;
}

/**
 * Decodes a tag's user memory into an ItemTagView, or `{ error }` with the
 * decoder's code. The DSFID is a hint, and a stale one on a tag re-programmed in
 * the other data model (readers cannot always rewrite it): a clean reading of
 * the content alone wins over a poor one with the hint.
 */
export function decodeItemTag(
  memory: Uint8Array,
  hints: TagDecodeHints = {},
): ItemTagView | { error: string } {
  let result = decodeTag(memory, hints);
  if (
    hints.dsfid !== undefined &&
    (!result.ok || (result.crc === 'invalid' && !damagedPart3(memory, result, hints)))
  ) {
    const unhinted = decodeTag(memory, hints.blockSize === undefined ? {} : { blockSize: hints.blockSize });
    if (unhinted.ok && unhinted.crc !== 'invalid' && unhinted.warnings.length === 0) result = unhinted;
  }
  if (!result.ok) return { error: result.error.code };
  const fields = result.fields as unknown as Record<string, unknown>;
  const item: ItemTagView = {
    format: result.format,
    byteOrder: result.byteOrder,
    primaryItemId: typeof fields.primaryItemId === 'string' ? fields.primaryItemId : '',
    crc: result.crc,
    warnings: result.warnings.map((w) => w.code),
  };
  const set = fields.set as { parts?: unknown; part?: unknown } | undefined;
  if (set && typeof set.parts === 'number' && typeof set.part === 'number')
    item.set = { part: set.part, parts: set.parts };
  const usage = fields.typeOfUsage as { name?: unknown } | undefined;
  if (typeof usage?.name === 'string') item.typeOfUsage = usage.name as TypeOfUsageName;
  const owner = fields.ownerLibrary;
  if (typeof owner === 'string' && owner !== '') item.ownerLibrary = owner;
  const isil =
    typeof fields.isil === 'string' ? fields.isil : result.format === '28560-2' ? owner : undefined;
  if (typeof isil === 'string' && isil !== '') item.isil = isil;
  return item;
}

/**
 * An ISO 28560-3 reading, as the DSFID says, whose fields read sensibly but whose CRC does not
 * match: the tag's data is damaged (a digit of its barcode changed). It stays that reading — CRC
 * invalid, for the desk to refuse — rather than giving way to another data model's reading of the
 * same bytes, which ISO 28560-2 (no CRC) nearly always finds, as garbage.
 */
function damagedPart3(memory: Uint8Array, result: TagDecodeResult, hints: TagDecodeHints): boolean {
  if (!result.ok || result.format !== '28560-3') return false;
  const bytes = result.byteOrder === 'logical' ? memory : reverseBlocks(memory, hints.blockSize ?? 4);
  return plausiblePart3(bytes);
}
