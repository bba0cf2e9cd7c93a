/** FEIG ID ISC advanced host protocol. Pure code. */
export * from './errors.js';
export * from './frame.js';
export * from './gate-commands.js';
export * from './iso-host.js';
export * from './notification.js';
export * from './parser.js';
export * from './people-counter.js';
export * from './reader-commands.js';
export * from './reply.js';
