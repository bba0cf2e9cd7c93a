/**
 * The data of the requests and replies a payment kiosk exchanges, both ways:
 * the host decodes what a device encodes and the simulator the other way
 * round. Throws CctalkFrameError (`cctalk_bad_reply`) for data that is not
 * what the command answers with.
 */
import { CctalkFrameError } from './errors.js';

/** One result pair of a buffered event reply: A and B, their meaning depends on the device. */
export interface EventResult {
  a: number;
  b: number;
}

/** Read buffered credit or error codes (229) and Read buffered bill events (159): the same layout. */
export interface EventBuffer {
  /** 0 after power-up or reset; then 1…255, and after 255 comes 1. */
  counter: number;
  /** Five results, the most recent first. */
  results: EventResult[];
}

export const EVENT_BUFFER_SIZE = 5;

function badReply(what: string, detail: string): never {
  throw new CctalkFrameError('cctalk_bad_reply', `${what}: ${detail}`);
}

export function decodeEventBuffer(data: Uint8Array): EventBuffer {
  if (data.length !== 1 + 2 * EVENT_BUFFER_SIZE)
    badReply('buffered events', `${data.length} bytes; expected 11`);
  const results: EventResult[] = [];
  for (let i = 0; i < EVENT_BUFFER_SIZE; i++) results.push({ a: data[1 + 2 * i]!, b: data[2 + 2 * i]! });
  return { counter: data[0]!, results };
}

export function encodeEventBuffer(buffer: EventBuffer): Uint8Array {
  const data = new Uint8Array(1 + 2 * EVENT_BUFFER_SIZE);
  data[0] = buffer.counter;
  buffer.results.slice(0, EVENT_BUFFER_SIZE).forEach((result, i) => {
    data[1 + 2 * i] = result.a;
    data[2 + 2 * i] = result.b;
  });
  return data;
}

/** Printable ASCII (manufacturer, category, product code, software revision, coin and bill ids). */
export function decodeAscii(data: Uint8Array, what = 'text'): string {
  for (const byte of data) if (byte < 0x20 || byte > 0x7e) badReply(what, 'not printable ASCII');
  return String.fromCharCode(...data);
}

export function encodeAscii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e)
      throw new CctalkFrameError('cctalk_bad_argument', `"${text}" is not printable ASCII`);
    return code;
  });
}

/** Request serial number (242): three bytes, least significant first. */
export function decodeSerialNumber(data: Uint8Array): number {
  if (data.length !== 3) badReply('serial number', `${data.length} bytes; expected 3`);
  return data[0]! | (data[1]! << 8) | (data[2]! << 16);
}

export function encodeSerialNumber(serial: number): Uint8Array {
  return Uint8Array.of(serial & 0xff, (serial >> 8) & 0xff, (serial >> 16) & 0xff);
}

/** Modify / request inhibit status (231/230): 16 channels, bit n-1 for channel n, 1 = accepted. */
export function encodeInhibitMask(mask: number): Uint8Array {
  return Uint8Array.of(mask & 0xff, (mask >> 8) & 0xff);
}

export function decodeInhibitMask(data: Uint8Array): number {
  if (data.length !== 2) badReply('inhibit status', `${data.length} bytes; expected 2`);
  return data[0]! | (data[1]! << 8);
}

/** Master inhibit (228/227): bit 0 set = accepting ("normal operation"), clear = everything inhibited. */
export function encodeMasterInhibit(accepting: boolean): Uint8Array {
  return Uint8Array.of(accepting ? 1 : 0);
}

export function decodeMasterInhibit(data: Uint8Array): boolean {
  if (data.length !== 1) badReply('master inhibit status', `${data.length} bytes; expected 1`);
  return (data[0]! & 1) === 1;
}

/** Request country scaling factor (156) of a bill validator. */
export interface ScalingFactor {
  factor: number;
  decimals: number;
}

export function decodeScalingFactor(data: Uint8Array): ScalingFactor {
  if (data.length !== 3) badReply('country scaling factor', `${data.length} bytes; expected 3`);
  return { factor: data[0]! | (data[1]! << 8), decimals: data[2]! };
}

export function encodeScalingFactor(scaling: ScalingFactor): Uint8Array {
  return Uint8Array.of(scaling.factor & 0xff, (scaling.factor >> 8) & 0xff, scaling.decimals);
}

/** Perform self-check (232): a fault code (0 = none), maybe one byte of extra information. */
export interface SelfCheck {
  fault: number;
  extra?: number;
}

export function decodeSelfCheck(data: Uint8Array): SelfCheck {
  if (data.length < 1 || data.length > 2) badReply('self-check', `${data.length} bytes; expected 1 or 2`);
  return data.length === 2 ? { fault: data[0]!, extra: data[1]! } : { fault: data[0]! };
}

export function encodeSelfCheck(check: SelfCheck): Uint8Array {
  return check.extra === undefined ? Uint8Array.of(check.fault) : Uint8Array.of(check.fault, check.extra);
}

/** Route bill (154): a plain ACK, or one byte saying why not (254 escrow empty, 255 failed to route). */
export function decodeRouteReply(data: Uint8Array): 'routed' | number {
  if (data.length === 0) return 'routed';
  if (data.length === 1) return data[0]!;
  return badReply('route bill', `${data.length} bytes; expected 0 or 1`);
}
