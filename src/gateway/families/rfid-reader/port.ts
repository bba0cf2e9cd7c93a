import type { IncompleteSet } from '../../../devices/rfid/index.js';
import type { ItemTagView, TypeOfUsageName } from '../../../protocols/rfid/index.js';

/** An item as the desk shows it: what the tag's data model says (src/protocols/rfid, decodeItemTag). */
export type RfidItemView = ItemTagView;

export interface RfidTagView {
  uid: string;
  item: RfidItemView | null;
  /** Secured as the reader's `security.method` says (AFI, EAS bit, either); null when not known. */
  secured: boolean | null;
  afi: number | null;
  /** The tag's EAS bit, read where the desk secures by it and its reader can; null when not read. */
  eas: boolean | null;
  dsfid: number | null;
  /** Why the memory could not be read or decoded. */
  readError?: string;
}

export interface RfidTagsView {
  tags: RfidTagView[];
  incompleteSets: IncompleteSet[];
}

export interface RfidSecurityView {
  uid: string;
  secured: boolean;
  /** `done`: written and read back; `pending`: the tag left mid-write, retried when it is back. */
  status: 'done' | 'pending';
  reason?: string;
}

/** New tag data for a blank or re-tagged item (or a patron card). */
export interface RfidProgramRequest {
  format: '28560-3' | '28560-2';
  primaryItemId: string;
  isil?: string | undefined;
  set?: { part: number; parts: number } | undefined;
  typeOfUsage?: Exclude<TypeOfUsageName, 'reserved'> | undefined;
  /** Lock the written data blocks (never the AFI). */
  lock?: boolean | undefined;
}

/**
 * What workflows and the API may ask of an RFID pad. Full tag data, patron
 * cards included: the API edge decides who may see a patron's card number.
 */
export interface RfidReaderPort {
  /**
   * Tags on the pad now, decoded; throws `unavailable`, saying why, while the reader is not
   * connected (the tags last seen are not the pad now).
   */
  tags(): RfidTagsView;
  /**
   * The tags that answer an inventory the pad takes now, each read: for a write that must go to
   * what lies on the pad at this moment (a card a printer has just laid there). `tags()` keeps a tag
   * taken off for a few rounds (one round may miss a tag lying there) and holds a new one only once
   * read. Throws `unavailable`, saying why, when the reader is not connected or cannot take one.
   */
  tagsNow(): Promise<RfidTagView[]>;
  /**
   * Whether a tag read with this AFI and EAS bit holds what the pad writes to secure (or unsecure)
   * an item: as its `security.method` says, and for afi+eas both; null when that is not known.
   */
  holdsSecurity(tag: Pick<RfidTagView, 'afi' | 'eas'>, secured: boolean): boolean | null;
  /** Secures or unsecures one item, verified by reading back. */
  setSecurity(uid: string, secured: boolean): Promise<RfidSecurityView>;
  /** Writes new tag data, reads it back and returns it decoded. */
  program(uid: string, request: RfidProgramRequest): Promise<RfidTagView>;
}
