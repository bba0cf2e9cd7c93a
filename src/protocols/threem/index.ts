/** 3M 810 pad protocol. Pure code. */
export * from './commands.js';
export * from './errors.js';
export * from './frame.js';
export * from './parser.js';
