/** ISO/IEC 15693 commands, replies, UIDs. Pure code. */
export * from './commands.js';
export * from './errors.js';
export * from './system-info.js';
export * from './uid.js';
