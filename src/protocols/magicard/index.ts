export * from './colour.js';
export * from './errors.js';
export * from './job.js';
export * from './plane.js';
export * from './status.js';
export * from './stream.js';
