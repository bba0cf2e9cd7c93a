export * from './hidpos-scanner.js';
export * from './pcsc-scanner.js';
export * from './scanner-driver.js';
export * from './serial-scanner.js';
export * from './types.js';
export * from './wedge-scanner.js';
