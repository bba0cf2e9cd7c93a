/** ccTalk (coin acceptors and bill validators, simple checksum). Pure code. */
export * from './errors.js';
export * from './event-codes.js';
export * from './event-counter.js';
export * from './frame.js';
export * from './framer.js';
export * from './headers.js';
export * from './money.js';
export * from './replies.js';
