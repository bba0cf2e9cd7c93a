/**
 * The variable-field ids of SIP2 2.00, shared by every message: two letters on the
 * wire, a readable name in the object. `kind` says how a value is typed:
 * - text: a string as sent;
 * - flag: Y/N → boolean;
 * - date: an 18-character SIP2 date kept as text (free-form text is kept, with a warning);
 * - enum: a coded value (see enums.ts);
 * - supportedMessages: BX, 16 Y/N flags.
 * `repeatable` fields are arrays, in wire order.
 */

import type { Sip2EnumKind } from './enums.js';

interface FieldDef {
  readonly name: string;
  readonly kind: 'text' | 'flag' | 'date' | 'enum' | 'supportedMessages';
  readonly enum?: Sip2EnumKind;
  readonly repeatable?: boolean;
}

export const SIP2_FIELDS = {
  AA: { name: 'patronIdentifier', kind: 'text' },
  AB: { name: 'itemIdentifier', kind: 'text' },
  AC: { name: 'terminalPassword', kind: 'text' },
  AD: { name: 'patronPassword', kind: 'text' },
  AE: { name: 'personalName', kind: 'text' },
  AF: { name: 'screenMessage', kind: 'text', repeatable: true },
  AG: { name: 'printLine', kind: 'text', repeatable: true },
  AH: { name: 'dueDate', kind: 'date' },
  AJ: { name: 'titleIdentifier', kind: 'text' },
  AL: { name: 'blockedCardMessage', kind: 'text' },
  AM: { name: 'libraryName', kind: 'text' },
  AN: { name: 'terminalLocation', kind: 'text' },
  AO: { name: 'institutionId', kind: 'text' },
  AP: { name: 'currentLocation', kind: 'text' },
  AQ: { name: 'permanentLocation', kind: 'text' },
  AS: { name: 'holdItems', kind: 'text', repeatable: true },
  AT: { name: 'overdueItems', kind: 'text', repeatable: true },
  AU: { name: 'chargedItems', kind: 'text', repeatable: true },
  AV: { name: 'fineItems', kind: 'text', repeatable: true },
  BD: { name: 'homeAddress', kind: 'text' },
  BE: { name: 'emailAddress', kind: 'text' },
  BF: { name: 'homePhoneNumber', kind: 'text' },
  BG: { name: 'owner', kind: 'text' },
  BH: { name: 'currencyType', kind: 'text' },
  BI: { name: 'cancel', kind: 'flag' },
  BK: { name: 'transactionId', kind: 'text' },
  BL: { name: 'validPatron', kind: 'flag' },
  BM: { name: 'renewedItems', kind: 'text', repeatable: true },
  BN: { name: 'unrenewedItems', kind: 'text', repeatable: true },
  BO: { name: 'feeAcknowledged', kind: 'flag' },
  BP: { name: 'startItem', kind: 'text' },
  BQ: { name: 'endItem', kind: 'text' },
  BR: { name: 'queuePosition', kind: 'text' },
  BS: { name: 'pickupLocation', kind: 'text' },
  BT: { name: 'feeType', kind: 'enum', enum: 'feeType' },
  BU: { name: 'recallItems', kind: 'text', repeatable: true },
  BV: { name: 'feeAmount', kind: 'text' },
  BW: { name: 'expirationDate', kind: 'date' },
  BX: { name: 'supportedMessages', kind: 'supportedMessages' },
  BY: { name: 'holdType', kind: 'enum', enum: 'holdType' },
  BZ: { name: 'holdItemsLimit', kind: 'text' },
  CA: { name: 'overdueItemsLimit', kind: 'text' },
  CB: { name: 'chargedItemsLimit', kind: 'text' },
  CC: { name: 'feeLimit', kind: 'text' },
  CD: { name: 'unavailableHoldItems', kind: 'text', repeatable: true },
  CF: { name: 'holdQueueLength', kind: 'text' },
  CG: { name: 'feeIdentifier', kind: 'text' },
  CH: { name: 'itemProperties', kind: 'text' },
  CI: { name: 'securityInhibit', kind: 'flag' },
  CJ: { name: 'recallDate', kind: 'date' },
  CK: { name: 'mediaType', kind: 'enum', enum: 'mediaType' },
  CL: { name: 'sortBin', kind: 'text' },
  CM: { name: 'holdPickupDate', kind: 'date' },
  CN: { name: 'loginUserId', kind: 'text' },
  CO: { name: 'loginPassword', kind: 'text' },
  CP: { name: 'locationCode', kind: 'text' },
  CQ: { name: 'validPatronPassword', kind: 'flag' },
  CV: { name: 'alertType', kind: 'enum', enum: 'alertType' },
} as const satisfies Record<string, FieldDef>;

export type Sip2FieldId = keyof typeof SIP2_FIELDS;
export type Sip2FieldName = (typeof SIP2_FIELDS)[Sip2FieldId]['name'];

/** Error detection: sequence number and checksum, always last, handled by the codec. */
export const SEQUENCE_ID = 'AY';
export const CHECKSUM_ID = 'AZ';

/** The field id for a readable name, e.g. `fieldIdOf('patronIdentifier') === 'AA'`. */
export const FIELD_ID_BY_NAME: ReadonlyMap<string, Sip2FieldId> = new Map(
  (Object.entries(SIP2_FIELDS) as Array<[Sip2FieldId, FieldDef]>).map(([id, def]) => [def.name, id]),
);

/**
 * A field as said to people (screen messages, the log): its id and, for a field of the spec, its
 * name in words — `AA (patron identifier)`, `AJ (title identifier)`; an id the spec does not know
 * (a vendor's) alone. Never a value.
 */
export function sip2FieldInWords(id: string): string {
  const def = (SIP2_FIELDS as Record<string, FieldDef>)[id];
  if (def === undefined) return id;
  return `${id} (${def.name.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`)})`;
}

/** A two-letter id as an index 0..(96*96): both characters are printable ASCII on the wire. */
export function fieldSlot(c1: number, c2: number): number {
  return (c1 - 32) * 96 + (c2 - 32);
}
export const FIELD_SLOTS = 96 * 96;
