/**
 * What the pad tells the world about a tag's user memory: the item it identifies, decoded
 * with the ISO 28560 codecs (src/protocols/rfid). Plain data, safe for events and JSON.
 */
import { decodeTag, type TagDecodeHints } from '../../protocols/rfid/index.js';

export interface TagItem {
  /** `28560-3`, `28560-2`, `3m`, `28560-4` or `blank`. */
  format: string;
  /** Whether the tag stores blocks reversed (some FEIG-written tags). */
  byteOrder: 'logical' | 'block-reversed';
  /** '' on a blank tag. */
  primaryItemId: string;
  /** Multi-part sets: part x of y. */
  set?: { parts: number; part: number };
  /** Owner library ISIL, when the tag carries one. */
  ownerLibrary?: string;
  crc: 'valid' | 'invalid' | 'absent';
}

export type TagDecoder = (memory: Uint8Array, hints: TagDecodeHints) => TagItem | { error: string };

/** The default decoder: decodeTag() from src/protocols/rfid. */
export const decodeLibraryTag: TagDecoder = (memory, hints) => {
  const result = decodeTag(memory, hints);
  if (!result.ok) return { error: result.error.code };
  const fields = result.fields as unknown as Record<string, unknown>;
  const item: TagItem = {
    format: result.format,
    byteOrder: result.byteOrder,
    primaryItemId: typeof fields.primaryItemId === 'string' ? fields.primaryItemId : '',
    crc: result.crc,
  };
  const set = fields.set as { parts?: unknown; part?: unknown } | undefined;
  if (set && typeof set.parts === 'number' && typeof set.part === 'number')
    item.set = { parts: set.parts, part: set.part };
  const isil = fields.ownerLibrary ?? fields.isil;
  if (typeof isil === 'string' && isil !== '') item.ownerLibrary = isil;
  return item;
};
