/**
 * Tags on a session's pad that are no item the session can take. Such an item is neither lent nor
 * returned: the patron must be told, or they leave with it unlent (and the gate alarms) or leave it
 * believing it returned.
 */
import { isPatronCard } from '../../protocols/rfid/index.js';

/** Why a tag on the pad is no item the session takes, and, for another library's, whose it is. */
export interface UnreadableTag {
  reason: string;
  /** The owner library (ISIL) the tag names, when that is why: `rfid_other_library`. */
  ownerLibrary?: string;
}

/**
 * Why a tag on the pad cannot be taken as an item — its memory could not be read, its data is
 * damaged (CRC invalid), it holds no item id (a blank tag, another format), one the library system
 * cannot be sent, or it names an owner
 * library not among `libraries` (the desk's `sessions.ownerLibraries`, when set) — or undefined when
 * it can, is a patron card, or is still being read.
 */
export function whyUnreadable(
  tag: {
    item: {
      primaryItemId?: string;
      typeOfUsage?: string;
      ownerLibrary?: string;
      isil?: string;
      crc?: string;
    } | null;
    readError?: string;
  },
  libraries?: ReadonlySet<string>,
): UnreadableTag | undefined {
  if (tag.item === null) return tag.readError === undefined ? undefined : { reason: tag.readError };
  if (isPatronCard(tag.item)) return undefined;
  // Its data damaged (the CRC does not match what it holds): the barcode it reads may be another
  // item's, which would be lent or returned in its place.
  if (tag.item.crc === 'invalid') return { reason: 'rfid_crc_invalid' };
  const id = tag.item.primaryItemId;
  if (!id) return { reason: 'rfid_no_item_id' };
  // Sent, it would be refused every time it is tried (or split into fields of SIP2's own).
  if (!sendable(id)) return { reason: 'rfid_item_id_not_sendable' };
  // Another library's book: its barcode means nothing to this library's system, or — worse — names
  // one of this library's own items, which would be lent or returned in its place.
  const owner = tag.item.isil || tag.item.ownerLibrary;
  if (libraries !== undefined && libraries.size > 0 && owner && !libraries.has(isilKey(owner)))
    return { reason: 'rfid_other_library', ownerLibrary: owner };
  return undefined;
}

/**
 * An ISIL as compared: without its hyphens (an ISO 28560-3 tag stores `SERPL` for `SE-RPL`) and
 * in capitals (ISO 15511 ISILs are not case-sensitive).
 */
export function isilKey(isil: string): string {
  return isil.replaceAll('-', '').toUpperCase();
}

/**
 * An item id SIP2 can carry: no `|`, which separates its fields, and no control character (a CR
 * ends its message). A loop over the UTF-16 units: every tag laid on a session's pad, and every
 * barcode scanned at its scanner, is checked.
 */
export function sendable(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    if (unit === 0x7c || unit < 0x20 || unit === 0x7f) return false;
  }
  return true;
}
