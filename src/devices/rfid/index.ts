/** HF library RFID readers (FEIG, 3M) and the pad device built on them. */
export * from './failure-words.js';
export * from './feig-reader.js';
export * from './item-sets.js';
export * from './reader.js';
export * from './rfid-pad.js';
export * from './security.js';
export * from './tag-item.js';
export * from './threem-reader.js';
