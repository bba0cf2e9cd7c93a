/**
 * Tags on a session's pad that are no item the session can take. Such an item is neither lent nor
 * returned: the patron must be told, or they leave with it unlent (and the gate alarms) or leave it
 * believing it returned.
 */
import { isPatronCard } from '../../protocols/rfid/index.js';

/**
 * Why a tag on the pad cannot be taken as an item — its memory could not be read, it holds no item
 * id (a blank tag, another format), or one the library system cannot be sent — or undefined when it
 * can, is a patron card, or is still being read.
 */
export function whyUnreadable(tag: {
  item: { primaryItemId?: string; typeOfUsage?: string } | null;
  readError?: string;
}): string | undefined {
  if (tag.item === null) return tag.readError;
  if (isPatronCard(tag.item)) return undefined;
  const id = tag.item.primaryItemId;
  if (!id) return 'rfid_no_item_id';
  // Sent, it would be refused every time it is tried (or split into fields of SIP2's own).
  return sendable(id) ? undefined : 'rfid_item_id_not_sendable';
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
