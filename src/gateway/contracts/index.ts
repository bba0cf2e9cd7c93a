/** The gateway's contracts, in one place: services the API calls and the views they answer with. */
export type * from './circulation.js';
export type * from './desk.js';
export type * from './offline.js';
export type * from './payments.js';
export type * from './print-accounts.js';
export type * from './sessions.js';
export type * from './statistics.js';
