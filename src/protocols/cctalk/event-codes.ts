/**
 * What the result pairs of the buffered event replies mean (ccTalk generic
 * specification, part 3), and the fault codes of Perform self-check (232).
 * A code not in a table is reported as unknown, never dropped.
 */
import type { EventResult } from './replies.js';

/** How serious an event is, for health and for staff. */
export type EventSeverity =
  /** Nothing wrong: the device says what it is doing. */
  | 'status'
  /** A coin or bill was refused and handed back. */
  | 'reject'
  /** The device cannot work until someone sees to it (jam, sensor fault, cash box). */
  | 'fault'
  /** Someone is trying to cheat it (string, light, pulled back). */
  | 'fraud'
  /** A code this table does not know. */
  | 'unknown';

export interface EventMeaning {
  code: number;
  name: string;
  severity: EventSeverity;
}

/** Coin acceptor error codes: result A is 0, result B is one of these. */
const COIN_ERRORS: Record<number, [string, EventSeverity]> = {
  0: ['null event', 'status'],
  1: ['reject coin', 'reject'],
  2: ['inhibited coin', 'reject'],
  3: ['multiple window', 'reject'],
  4: ['wake-up timeout', 'fault'],
  5: ['validation timeout', 'fault'],
  6: ['credit sensor timeout', 'fault'],
  7: ['sorter opto timeout', 'fault'],
  8: ['2nd close coin error', 'reject'],
  9: ['accept gate not ready', 'reject'],
  10: ['credit sensor not ready', 'reject'],
  11: ['sorter not ready', 'reject'],
  12: ['reject coin not cleared', 'reject'],
  13: ['validation sensor not ready', 'fault'],
  14: ['credit sensor blocked', 'fault'],
  15: ['sorter opto blocked', 'fault'],
  16: ['credit sequence error', 'fraud'],
  17: ['coin going backwards', 'fraud'],
  18: ['coin too fast (over credit sensor)', 'fraud'],
  19: ['coin too slow (over credit sensor)', 'fraud'],
  20: ['C.O.S. mechanism activated (coin-on-string)', 'fraud'],
  21: ['DCE opto timeout', 'fault'],
  22: ['DCE opto not seen', 'fraud'],
  23: ['credit sensor reached too early', 'fraud'],
  24: ['reject coin (repeated sequential trip)', 'fraud'],
  25: ['reject slug', 'fraud'],
  26: ['reject sensor blocked', 'fault'],
  27: ['games overload', 'fault'],
  28: ['max. coin meter pulses exceeded', 'fault'],
  29: ['accept gate open not closed', 'fault'],
  30: ['accept gate closed not open', 'fault'],
  31: ['manifold opto timeout', 'fault'],
  32: ['manifold opto blocked', 'fault'],
  33: ['manifold not ready', 'reject'],
  34: ['security status changed', 'fraud'],
  35: ['motor exception', 'fault'],
  36: ['swallowed coin', 'fault'],
  37: ['coin too fast (over validation sensor)', 'fraud'],
  38: ['coin too slow (over validation sensor)', 'fraud'],
  39: ['coin incorrectly sorted', 'fault'],
  40: ['external light attack', 'fraud'],
  253: ['data block request', 'status'],
  254: ['coin return mechanism activated', 'status'],
  255: ['unspecified alarm code', 'fault'],
};

/** Bill validator event codes: result A is 0, result B is one of these. */
const BILL_EVENTS: Record<number, [string, EventSeverity]> = {
  0: ['master inhibit active', 'status'],
  1: ['bill returned from escrow', 'status'],
  2: ['invalid bill (validation fail)', 'reject'],
  3: ['invalid bill (transport problem)', 'reject'],
  4: ['inhibited bill (on serial)', 'reject'],
  5: ['inhibited bill (on DIP switches)', 'reject'],
  6: ['bill jammed in transport (unsafe mode)', 'fault'],
  7: ['bill jammed in stacker', 'fault'],
  8: ['bill pulled backwards', 'fraud'],
  9: ['bill tamper', 'fraud'],
  10: ['stacker OK', 'status'],
  11: ['stacker removed', 'fault'],
  12: ['stacker inserted', 'status'],
  13: ['stacker faulty', 'fault'],
  14: ['stacker full', 'fault'],
  15: ['stacker jammed', 'fault'],
  16: ['bill jammed in transport (safe mode)', 'fault'],
  17: ['opto fraud detected', 'fraud'],
  18: ['string fraud detected', 'fraud'],
  19: ['anti-string mechanism faulty', 'fault'],
  20: ['barcode detected', 'status'],
  21: ['unknown bill type stacked', 'fault'],
};

/** The bill event codes the host acts on. */
export const BILL_EVENT = {
  returnedFromEscrow: 1,
  stackerOk: 10,
  stackerRemoved: 11,
  stackerInserted: 12,
  stackerFull: 14,
  unknownBillTypeStacked: 21,
} as const;

/** Fault codes of Perform self-check (232); 0 is no fault. */
const FAULTS: Record<number, string> = {
  0: 'no fault',
  1: 'EEPROM checksum corrupted',
  2: 'fault on inductive coils',
  3: 'fault on credit sensor',
  4: 'fault on piezo sensor',
  5: 'fault on reflective sensor',
  6: 'fault on diameter sensor',
  7: 'fault on wake-up sensor',
  8: 'fault on sorter exit sensors',
  9: 'NVRAM checksum corrupted',
  13: 'coin counting error',
  18: 'fault on reject sensor',
  19: 'fault on coin return mechanism',
  20: 'fault on C.O.S. mechanism',
  30: 'ROM checksum mismatch',
  33: 'supply voltage outside operating limits',
  34: 'temperature outside operating limits',
  36: 'fault on bill validation sensor',
  37: 'fault on bill transport motor',
  38: 'fault on stacker',
  39: 'bill jammed',
  40: 'RAM test fail',
  41: 'fault on string sensor',
  42: 'accept gate failed open',
  43: 'accept gate failed closed',
  44: 'stacker missing',
  45: 'stacker full',
  49: 'fault on opto sensor',
  51: 'door open',
  255: 'unspecified fault code',
};

/** The fault codes the host acts on. */
export const FAULT = {
  none: 0,
  creditSensor: 3,
  billJammed: 39,
  stackerMissing: 44,
  stackerFull: 45,
} as const;

function meaning(table: Record<number, [string, EventSeverity]>, code: number): EventMeaning {
  const known = table[code];
  return known
    ? { code, name: known[0], severity: known[1] }
    : { code, name: `unknown code ${code}`, severity: 'unknown' };
}

/** A coin acceptor's result pair. */
export type CoinEvent =
  /** A coin of this channel (1-16) was accepted, sent along this sorter path. */
  { kind: 'credit'; channel: number; sorterPath: number } | ({ kind: 'error' } & EventMeaning);

export function coinEvent(result: EventResult): CoinEvent {
  if (result.a !== 0) return { kind: 'credit', channel: result.a, sorterPath: result.b };
  const code = result.b;
  // 128-159: "inhibited coin" of coin type 1-32.
  if (code >= 128 && code <= 159)
    return { kind: 'error', code, name: `inhibited coin (type ${code - 127})`, severity: 'reject' };
  return { kind: 'error', ...meaning(COIN_ERRORS, code) };
}

/** A bill validator's result pair. */
export type BillEvent =
  /** A bill of this type (1-16) was validated and stacked: a credit. */
  | { kind: 'credit'; billType: number }
  /** A bill of this type is held in escrow: route it (stack or return). No credit yet. */
  | { kind: 'escrow'; billType: number }
  | ({ kind: 'status' } & EventMeaning);

export function billEvent(result: EventResult): BillEvent {
  if (result.a !== 0) {
    if (result.b === 0) return { kind: 'credit', billType: result.a };
    if (result.b === 1) return { kind: 'escrow', billType: result.a };
    return {
      kind: 'status',
      code: result.b,
      name: `unknown result ${result.a}/${result.b}`,
      severity: 'unknown',
    };
  }
  return { kind: 'status', ...meaning(BILL_EVENTS, result.b) };
}

export function faultName(code: number): string {
  return FAULTS[code] ?? `unknown fault code ${code}`;
}
