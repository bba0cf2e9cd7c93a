/**
 * What a device on the dashboard or the fleet view is, and what last happened to it, in the words
 * staff use: its family's kind and its events' types as Carrel's API names them
 * (`receipt-printer`, `printer.paper_out`) said as a person says them. A kind or event a page has
 * no words for (a newer Carrel, a family added since) is shown as it is, never hidden.
 */

/** A family's kind → what the device is. */
const KINDS = {
  ils: 'library system',
  'receipt-printer': 'receipt printer',
  'rfid-reader': 'RFID reader',
  gate: 'security gate',
  'print-queue': 'print queue',
  'cash-device': 'cash device',
  'card-printer': 'card printer',
  scanner: 'scanner or card reader',
};

/** An event's type → what happened. Never more than the type: an event's data is not for a wall screen. */
const EVENTS = {
  // The library system (SIP2) and the offline journal
  'ils.connection_lost': 'a connection to the library system lost',
  'ils.connection_restored': 'a connection to the library system back',
  'ils.acs_offline': 'the library system said it is offline',
  'ils.acs_online': 'the library system said it is online',
  'offline.replayed': 'an offline transaction sent to the library system',
  'offline.conflict': 'an offline transaction in conflict',
  // Receipt printers
  'printer.job_queued': 'a receipt queued',
  'printer.job_printed': 'a receipt printed',
  'printer.job_failed': 'a receipt not printed',
  'printer.job_expired': 'a receipt given up (waited too long)',
  'printer.job_unconfirmed': 'a receipt sent, not confirmed printed',
  'printer.paper_near_end': 'paper running low',
  'printer.paper_out': 'out of paper',
  'printer.paper_ok': 'paper in',
  'printer.cover_open': 'cover opened',
  'printer.cover_closed': 'cover closed',
  'printer.error': 'a printer error',
  'printer.offline': 'went offline',
  'printer.recovered': 'recovered',
  // RFID pads
  'rfid.tag_arrived': 'a tag put on the pad',
  'rfid.tag_left': 'a tag taken off the pad',
  'rfid.tag_programmed': 'a tag written',
  'rfid.set_complete': 'every part of an item on the pad',
  'rfid.set_incomplete': 'an item on the pad with parts missing',
  'rfid.security_set': 'an item’s security bit set',
  'rfid.security_pending': 'an item’s security bit still to set',
  'rfid.security_failed': 'an item’s security bit not set',
  // Security gates
  'gate.alarm': 'an alarm',
  'gate.alarm_enriched': 'an alarm’s item looked up',
  'gate.alarm_not_enriched': 'an alarm’s item not found',
  'gate.alarm_acknowledged': 'an alarm acknowledged',
  'gate.alarm_state': 'alarm switched on or off',
  'gate.count': 'people counted',
  // Print queues
  'print.job_held': 'a print job held for release',
  'print.job_changed': 'a print job moved on',
  'print.job_expired': 'a print job cancelled, not released in time',
  'print.job_stuck': 'a print job stuck',
  // Cash devices
  'cash.credit': 'money taken',
  'cash.unverified': 'money the device could not verify',
  'cash.escrow': 'a note held in escrow',
  'cash.notice': 'a notice from the device',
  'cash.payment': 'a payment moved on',
  'cash.acceptance': 'taking money switched on or off',
  // Card printers
  'card.issued': 'a card printed',
  'card.issue_failed': 'a card not printed',
  'card.ready': 'ready',
  'card.jam': 'a card jammed',
  'card.no_card': 'out of blank cards',
  'card.ribbon_low': 'ribbon running low',
  'card.ribbon_out': 'ribbon out',
  'card.cover_open': 'cover opened',
  'card.cleaning_due': 'due for cleaning',
  'card.error': 'a card printer error',
  'card.offline': 'went offline',
  // Scanners and card readers
  'scanner.identified': 'a barcode or card read',
  'scanner.rejected': 'a scan not read whole',
  'scanner.card_removed': 'a card taken away',
};

/** What a device of `kind` is, in words. */
export const kindWords = (kind) => KINDS[kind] ?? kind;

/** What an event of `type` was, in words. */
export const eventWords = (type) => EVENTS[type] ?? type;
