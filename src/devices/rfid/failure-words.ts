/**
 * Why an RFID reader's command failed, in words for desk staff and IT — what happened, what to do —
 * from the failure's stable code, which the API answer keeps in a field of its own (`code`, a
 * security write's `reason`): a write to a tag, and the inventories a pad's health is degraded by.
 * A code not known here is named, so it can be looked up.
 */

/** The reader's reply came garbled on the line, each time the command was sent again. */
const GARBLED =
  /^(feig|threem)_(crc|garbage|bad_length|no_stx|truncated|frame_too_long|bad_reply|bad_start)$/;

/** The tag did not answer: taken off the pad, at its edge, or its chip failing. */
const TAG_SILENT: ReadonlySet<string> = new Set([
  'rfid_no_transponder',
  'rfid_rf_communication',
  'rfid_iso_error',
  'rfid_data_false',
]);

/** The link to the reader went while the write was under way. */
const LINK_LOST: ReadonlySet<string> = new Set([
  'transport_closed',
  'closed',
  'device_lost',
  'device_gone',
  'rfid_not_open',
]);

/** Whether a command failed because its reply came garbled on the line, each time it was sent again. */
export function isGarbledReply(code: string): boolean {
  return GARBLED.test(code);
}

export function readerFailureInWords(code: string, what: 'security' | 'data'): string {
  if (code === 'rfid_write_unknown')
    return "the reader's replies to the write came garbled on the line, and the tag could not be read back, so whether it holds the new data is not known: place the tag on the pad again and look at what it shows — write it again if it is not the item; if it keeps happening, check the reader's cable and plug";
  if (GARBLED.test(code))
    return "the reader's reply came garbled on the line, each time it was asked again: try again; if it keeps happening, check the reader's cable and plug";
  if (TAG_SILENT.has(code))
    return 'the tag did not answer (taken off the pad?): lay it flat in the middle of the pad and try again';
  if (code === 'rfid_verify_failed')
    return 'the tag read back other than what was written (moved during the write?): lay it still on the pad and try again';
  if (code === 'rfid_write_protect')
    return what === 'security'
      ? 'its security is locked on the tag (write-protected): it cannot be changed at the desk; the item needs a new tag'
      : 'its memory is locked (write-protected); a locked tag cannot be programmed again, use a new tag';
  if (code === 'timeout' || code === 'rfid_not_answering')
    return "the reader did not answer in time: try again; if it keeps happening, look at the reader's health on the desk's devices";
  if (LINK_LOST.has(code))
    return 'the link to the reader was lost meanwhile: try again once the reader is back';
  if (code === 'rfid_pending_overflow')
    return 'too many writes were waiting for tags taken off the pad, and this one was given up: lay the item on the pad and try again';
  if (code === 'rfid_unsupported') return 'this reader cannot do that';
  return `the reader refused it (${code}): try again; if it keeps happening, try another tag`;
}

/** Why a pad's inventories keep failing (its health's reason), from the last one's error. */
export function inventoryFailureInWords(error: { code: string; message: string }): string {
  if (GARBLED.test(error.code))
    return "the reader's replies come garbled on the line: check the reader's cable and plug, and what else shares its line";
  return `the reader answers its inventories with an error (${error.message}): if it goes on, restart the reader`;
}
