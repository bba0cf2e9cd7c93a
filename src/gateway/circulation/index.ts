/** Circulation over the ILS in the library's own words: patrons, checkouts, checkins, renewals, holds, fees. */

export type * from '../contracts/circulation.js';
export * from './mapping.js';
export * from './reasons.js';
export * from './service.js';
