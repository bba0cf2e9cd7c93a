/**
 * The ISO 28560-2 data elements by relative OID (ISO 28560-1 names). `field` is the property
 * name used in decoded fields and encoder input; `kind` says how the value is read.
 */

export type Part2ValueKind =
  /** Free text, any 15962 compaction. */
  | 'text'
  /** An ISIL: its own compaction when application-defined, else text. */
  | 'isil'
  /** Content parameter bitmap (application-defined). */
  | 'bitmap'
  /** Type of usage byte (application-defined). */
  | 'usage'
  /** Set information "NNPP". */
  | 'set';

export interface Part2ElementSpec {
  readonly oid: number;
  readonly field: string;
  readonly kind: Part2ValueKind;
}

export const PART2_ELEMENTS = [
  { oid: 1, field: 'primaryItemId', kind: 'text' },
  { oid: 2, field: 'contentParameter', kind: 'bitmap' },
  { oid: 3, field: 'ownerLibrary', kind: 'isil' },
  { oid: 4, field: 'setInformation', kind: 'set' },
  { oid: 5, field: 'typeOfUsage', kind: 'usage' },
  { oid: 6, field: 'shelfLocation', kind: 'text' },
  { oid: 7, field: 'onixMediaFormat', kind: 'text' },
  { oid: 8, field: 'marcMediaFormat', kind: 'text' },
  { oid: 9, field: 'supplierId', kind: 'text' },
  { oid: 10, field: 'orderNumber', kind: 'text' },
  { oid: 11, field: 'illBorrowingInstitution', kind: 'isil' },
  { oid: 12, field: 'illBorrowingTransactionNumber', kind: 'text' },
  { oid: 13, field: 'gs1ProductId', kind: 'text' },
  { oid: 14, field: 'alternativeUniqueItemId', kind: 'text' },
  { oid: 15, field: 'localDataA', kind: 'text' },
  { oid: 16, field: 'localDataB', kind: 'text' },
  { oid: 17, field: 'title', kind: 'text' },
  { oid: 18, field: 'productIdLocal', kind: 'text' },
  { oid: 19, field: 'mediaFormatOther', kind: 'text' },
  { oid: 20, field: 'supplyChainStage', kind: 'text' },
  { oid: 21, field: 'supplierInvoiceNumber', kind: 'text' },
  { oid: 22, field: 'alternativeItemId', kind: 'text' },
  { oid: 23, field: 'alternativeOwnerLibrary', kind: 'text' },
  { oid: 24, field: 'subsidiaryOfOwnerLibrary', kind: 'text' },
  { oid: 25, field: 'alternativeIllBorrowingInstitution', kind: 'text' },
  { oid: 26, field: 'localDataC', kind: 'text' },
] as const satisfies readonly Part2ElementSpec[];

export type Part2ElementName = (typeof PART2_ELEMENTS)[number]['field'];

/** Element names whose value is plain text in decoded fields and encoder input. */
export type Part2TextElementName = Extract<
  (typeof PART2_ELEMENTS)[number],
  { kind: 'text' | 'isil' }
>['field'];

export const PART2_ELEMENT_BY_OID: ReadonlyMap<number, Part2ElementSpec> = new Map(
  PART2_ELEMENTS.map((spec) => [spec.oid, spec]),
);

export const PART2_ELEMENT_BY_FIELD: ReadonlyMap<string, Part2ElementSpec> = new Map(
  PART2_ELEMENTS.map((spec) => [spec.field, spec]),
);

/** OIDs the content parameter can announce: 3 and up. Bit 7 of byte 0 is OID 3. */
export function contentParameterOids(bitmap: Uint8Array): number[] {
  const oids: number[] = [];
  for (let i = 0; i < bitmap.length * 8; i++) {
    if ((bitmap[i >> 3]! >> (7 - (i & 7))) & 1) oids.push(i + 3);
  }
  return oids;
}

export function contentParameterBitmap(oids: Iterable<number>): Uint8Array {
  const list = [...oids].filter((oid) => oid >= 3);
  const size = Math.max(1, Math.ceil((Math.max(2, ...list) - 2) / 8));
  const bitmap = new Uint8Array(size);
  for (const oid of list) bitmap[(oid - 3) >> 3]! |= 0x80 >> ((oid - 3) & 7);
  return bitmap;
}
