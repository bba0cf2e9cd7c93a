export * from './attributes.js';
export { decodeIpp, encodeIpp } from './codec.js';
export * from './message.js';
export * from './tags.js';
