export * from './colour.js';
export * from './command-framer.js';
export * from './commands.js';
export * from './errors.js';
export * from './magstripe.js';
export * from './panel.js';
export * from './replies.js';
