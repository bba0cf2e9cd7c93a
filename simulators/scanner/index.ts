export * from './scanner-model.js';
export * from './simulator.js';
