export { type CashDeviceOptions, CctalkCashDevice } from './cash-device.js';
export { CctalkLink, type CctalkLinkOptions, type CctalkLinkStats } from './cctalk-link.js';
export { CashDeviceError, type CashDeviceErrorCode } from './errors.js';
export type * from './types.js';
