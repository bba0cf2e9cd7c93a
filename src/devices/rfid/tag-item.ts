/**
 * What the pad tells the world about a tag's user memory: the item it
 * identifies, read by the one tag decoder (src/protocols/rfid, decodeItemTag).
 */
export type { ItemTagView as TagItem } from '../../protocols/rfid/index.js';
