/**
 * The printer's replies: one per command, text ending in CR (a USB printer-class link ends it with NUL
 * instead, as Printer-EVOLIS reads it; both are accepted, and empty replies are ignored). A setting or
 * a sequence step answers `OK`, a read answers its value, and a refusal is an error text. The error
 * texts are the guide's NACK causes in words: command, parameter, mechanical (jam), cover, feeder,
 * ribbon, magnetic checksum, data and write.
 */
import { CR } from './commands.js';
import { EvolisProtocolError } from './errors.js';

export const MAX_REPLY = 256;

/** Why a printer refuses, as Carrel names it. */
export type EvolisFault =
  | 'bad_command'
  | 'bad_parameter'
  | 'jam'
  | 'cover_open'
  | 'no_card'
  | 'ribbon_out'
  | 'ribbon_missing'
  | 'magstripe_checksum'
  | 'magstripe_data'
  | 'magstripe_write'
  | 'cleaning_due'
  | 'busy'
  | 'unknown_error';

/** The reply text the printer gives for each fault; `unknown_error` is any other `ERR …`. */
export const FAULT_REPLIES: Readonly<Record<Exclude<EvolisFault, 'unknown_error'>, string>> = {
  bad_command: 'ERR CMD',
  bad_parameter: 'ERR PARAM',
  jam: 'ERR MECHANICAL',
  cover_open: 'ERR COVER OPEN',
  no_card: 'NO CARD',
  ribbon_out: 'ERR RIBBON END',
  ribbon_missing: 'ERR RIBBON',
  magstripe_checksum: 'ERR MAG CHECKSUM',
  magstripe_data: 'ERR MAG DATA',
  magstripe_write: 'ERR MAG WRITE',
  cleaning_due: 'ERR NEED CLEANING',
  busy: 'ERR BUSY',
};

const BY_TEXT = new Map<string, EvolisFault>(
  Object.entries(FAULT_REPLIES).map(([fault, text]) => [text, fault as EvolisFault]),
);

export type EvolisReply =
  | { kind: 'ok' }
  | { kind: 'value'; text: string }
  | { kind: 'error'; fault: EvolisFault; text: string };

export function parseReply(text: string): EvolisReply {
  const trimmed = text.trim();
  if (trimmed === 'OK') return { kind: 'ok' };
  const fault = BY_TEXT.get(trimmed);
  if (fault) return { kind: 'error', fault, text: trimmed };
  if (trimmed.startsWith('ERR')) return { kind: 'error', fault: 'unknown_error', text: trimmed };
  return { kind: 'value', text: trimmed };
}

export function encodeReply(reply: EvolisReply): Buffer {
  const text = reply.kind === 'ok' ? 'OK' : reply.text;
  return Buffer.from(`${text}\r`, 'latin1');
}

export type EvolisReplyItem = { ok: true; reply: EvolisReply } | { ok: false; error: EvolisProtocolError };

/** The host's side: chunks in, replies out, bounded. */
export class EvolisReplyFramer {
  private bytes: number[] = [];
  private overflowing = false;

  push(chunk: Uint8Array): EvolisReplyItem[] {
    const items: EvolisReplyItem[] = [];
    for (const byte of chunk) {
      if (byte === CR || byte === 0x00) {
        if (this.overflowing)
          items.push({
            ok: false,
            error: new EvolisProtocolError('evolis_too_long', `a reply longer than ${MAX_REPLY} bytes`),
          });
        else if (this.bytes.length > 0) items.push(this.reply());
        this.bytes = [];
        this.overflowing = false;
      } else if (this.bytes.length >= MAX_REPLY) this.overflowing = true;
      else this.bytes.push(byte);
    }
    return items;
  }

  reset(): void {
    this.bytes = [];
    this.overflowing = false;
  }

  private reply(): EvolisReplyItem {
    if (this.bytes.some((b) => b < 0x20 || b > 0x7e))
      return {
        ok: false,
        error: new EvolisProtocolError('evolis_garbage', 'a reply holding bytes that are not text'),
      };
    return { ok: true, reply: parseReply(Buffer.from(this.bytes).toString('latin1')) };
  }
}
