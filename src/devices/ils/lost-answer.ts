/**
 * What to do when a checkout or checkin went out and its answer never came back
 * (timeout, connection dropped) or stayed unreadable (97s): the ILS may have done
 * it. Sending it again blindly could renew the loan, or check in an item the
 * patron has since taken home. So the item is looked up (17) first: already charged to that patron, or
 * already checked in, is reported as done ("success as found"); otherwise the
 * request is sent once more.
 */
import type { CirculationStatus, Sip2Message } from '../../protocols/sip2/index.js';
import type { Sip2Exchange } from './connection.js';

/** Circulation statuses that mean "on loan". */
const CHARGED: ReadonlySet<CirculationStatus> = new Set(['charged', 'chargedNotToBeRecalled', 'recalled']);
/** Circulation statuses an item has after a checkin. */
const CHECKED_IN: ReadonlySet<CirculationStatus> = new Set([
  'available',
  'waitingOnHoldShelf',
  'waitingToBeReshelved',
  'inTransit',
]);

export type ItemInformation = Sip2Exchange<Sip2Message<'itemInformationResponse'>>;
export type PatronInformation = Sip2Exchange<Sip2Message<'patronInformationResponse'>>;

/** How a lost answer was settled, for the caller's records. */
export interface LostAnswerVerification {
  /** The item information (17/18) asked after the answer was lost. */
  itemInformation: ItemInformation;
  /** The patron's charged items (63/64), asked when the 18 did not name the borrower. */
  patronInformation?: PatronInformation;
}

export function isCharged(item: Sip2Message<'itemInformationResponse'>): boolean {
  const name = item.circulationStatus.name;
  return name !== null && CHARGED.has(name);
}

export function isCheckedIn(item: Sip2Message<'itemInformationResponse'>): boolean {
  const name = item.circulationStatus.name;
  return name !== null && CHECKED_IN.has(name);
}

/** The borrower an 18 names, for ILSs that add AA to it (not in SIP2 2.00, but common). */
export function borrowerNamedIn(item: Sip2Message<'itemInformationResponse'>): string | undefined {
  return item.extraFields?.find((field) => field.id === 'AA')?.value;
}

/** Whether a 64's charged items (AU) list the item; entries may be `barcode` or `barcode title…`. */
export function listsChargedItem(patron: Sip2Message<'patronInformationResponse'>, item: string): boolean {
  return (patron.chargedItems ?? []).some((entry) => {
    const trimmed = entry.trim();
    return trimmed === item || trimmed.split(/[\s/|]+/)[0] === item;
  });
}

/** The 12 the ILS would have sent for a checkout that is found done. */
export function checkoutFound(
  patron: string,
  item: string,
  institution: string,
  found: ItemInformation,
): Sip2Exchange<Sip2Message<'checkoutResponse'>> {
  const info = found.message;
  return {
    message: {
      type: 'checkoutResponse',
      ok: true,
      renewalOk: false,
      magneticMedia: 'unknown',
      desensitize: 'unknown',
      transactionDate: info.transactionDate,
      institutionId: institution,
      patronIdentifier: patron,
      itemIdentifier: item,
      titleIdentifier: info.titleIdentifier,
      dueDate: info.dueDate ?? '',
      ...(info.mediaType && { mediaType: info.mediaType }),
    },
    warnings: found.warnings,
    checksum: found.checksum,
    roundTripMs: found.roundTripMs,
  };
}

/** The 10 the ILS would have sent for a checkin that is found done. */
export function checkinFound(
  item: string,
  institution: string,
  found: ItemInformation,
): Sip2Exchange<Sip2Message<'checkinResponse'>> {
  const info = found.message;
  const status = info.circulationStatus.name;
  return {
    message: {
      type: 'checkinResponse',
      ok: true,
      resensitize: true,
      magneticMedia: 'unknown',
      alert: status === 'waitingOnHoldShelf' || status === 'inTransit',
      transactionDate: info.transactionDate,
      institutionId: institution,
      itemIdentifier: item,
      permanentLocation: info.permanentLocation ?? '',
      titleIdentifier: info.titleIdentifier,
      ...(info.mediaType && { mediaType: info.mediaType }),
    },
    warnings: found.warnings,
    checksum: found.checksum,
    roundTripMs: found.roundTripMs,
  };
}
