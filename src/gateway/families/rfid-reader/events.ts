import type { IncompleteSet, TagItem } from '../../../devices/rfid/index.js';
import type { TypeOfUsageName } from '../../../protocols/rfid/index.js';

/**
 * An RFID pad's events, with full tag data inside the gateway (a session reads
 * the patron card lying on the pad). The API edge hides patron card ids from
 * every audience (src/api/families/rfid-reader.ts).
 */
export interface RfidReaderEvents {
  'rfid.tag_arrived': {
    uid: string;
    item: TagItem | null;
    afi: number | null;
    /** The tag's EAS bit, read where the desk secures by it and its reader can; null when not read. */
    eas: boolean | null;
    /** Secured as the reader's `security.method` says (AFI, EAS bit, either); null when not known. */
    secured: boolean | null;
    dsfid: number | null;
    readError?: string;
  };
  'rfid.tag_left': { uid: string; primaryItemId: string | null; typeOfUsage?: TypeOfUsageName };
  'rfid.tag_programmed': { uid: string; item: TagItem | null; locked: boolean };
  'rfid.set_incomplete': IncompleteSet;
  'rfid.set_complete': { primaryItemId: string; ownerLibrary?: string; parts: number };
  'rfid.security_set': { uid: string; secured: boolean; attempts: number };
  'rfid.security_pending': { uid: string; secured: boolean; attempts: number; reason?: string };
  'rfid.security_failed': { uid: string; secured: boolean; attempts: number; reason?: string };
}

export const RFID_READER_EVENTS: ReadonlyArray<keyof RfidReaderEvents> = [
  'rfid.tag_arrived',
  'rfid.tag_left',
  'rfid.tag_programmed',
  'rfid.set_incomplete',
  'rfid.set_complete',
  'rfid.security_set',
  'rfid.security_pending',
  'rfid.security_failed',
];
