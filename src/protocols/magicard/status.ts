/**
 * Magicard commands and status queries (selphy_print): 9 × 0x05, 0x01, the command's text with a
 * comma after each part, 0x1C 0x03 — `REQ,STA,<key>,` asks one status value; `RST,` resets (and
 * drops a job the printer holds), `EJT,` ejects, `TST,` prints the self-test card, `FEED,` and
 * `FLIP,` move a card. Only a status query is answered: 0x01, seven bytes naming it (`STA,<key>`),
 * the value, `,` and 0x03 — the framer below cuts replies out of the stream, bounded.
 */

import { MagicardProtocolError } from './errors.js';
import { COMMAND_GUARD, END, FS, GUARD, START } from './job.js';

/** Status keys Carrel asks: serial, firmware, cards printed, cards since cleaning, panels left, cleaning prompt. */
export type StatusKey = 'MSR' | 'VRS' | 'TCQ' | 'CCQ' | 'DFR' | 'CLP';
export const STATUS_KEYS: readonly StatusKey[] = ['MSR', 'VRS', 'TCQ', 'CCQ', 'DFR', 'CLP'];
export type SimpleCommand = 'RST' | 'TST' | 'EJT' | 'FEED' | 'FLIP';

export const MAX_REPLY = 512;

function frame(text: string): Buffer {
  if (!/^[\x20-\x7e]+$/.test(text))
    throw new MagicardProtocolError('magicard_bad_argument', `"${text}" cannot be a command`);
  return Buffer.concat([
    Buffer.alloc(COMMAND_GUARD, GUARD),
    Buffer.of(START),
    Buffer.from(text, 'latin1'),
    Buffer.of(FS, END),
  ]);
}

export function encodeStatusQuery(key: string): Buffer {
  if (!/^[A-Z]{3}$/.test(key))
    throw new MagicardProtocolError('magicard_bad_argument', `"${key}" is not a status key`);
  return frame(`REQ,STA,${key},`);
}

export function encodeSimpleCommand(name: SimpleCommand | string): Buffer {
  if (!/^[A-Z]{3,13}\d*$/.test(name))
    throw new MagicardProtocolError('magicard_bad_argument', `"${name}" is not a command`);
  return frame(`${name},`);
}

/** The key a command's text asks for, when it is a status query (`REQ,STA,<key>,`). */
export function statusQueryKey(text: string): string | undefined {
  return /^REQ,STA,([A-Z]{3}),$/.exec(text)?.[1];
}

/** A status reply as the printer sends it. */
export function encodeStatusReply(key: string, value: string): Buffer {
  if (!/^[\x20-\x2b\x2d-\x7e]*$/.test(value))
    throw new MagicardProtocolError('magicard_bad_argument', `"${value}" cannot be a status value`);
  return Buffer.concat([Buffer.of(START), Buffer.from(`STA,${key}${value},`, 'latin1'), Buffer.of(END)]);
}

/**
 * A reply's body (between 0x01 and 0x03) as the value of `key`. The seven bytes after 0x01 must
 * name the query; a comma after them is taken as a separator (selphy_print reads the value from the
 * eighth byte on, so a firmware that sends one would show it there).
 */
export function parseStatusReply(key: string, body: Uint8Array): string {
  const text = Buffer.from(body).toString('latin1');
  if (!/^[\x20-\x7e]*$/.test(text))
    throw new MagicardProtocolError('magicard_bad_reply', 'a status reply holds control bytes');
  if (text.length < 8 || !text.endsWith(','))
    throw new MagicardProtocolError('magicard_bad_reply', 'a status reply ends in a comma');
  if (text.slice(0, 7) !== `STA,${key}`)
    throw new MagicardProtocolError('magicard_bad_reply', `the reply is not to STA,${key}`);
  let value = text.slice(7, -1);
  if (value.startsWith(',')) value = value.slice(1);
  return value;
}

export type ReplyItem = { ok: true; body: Buffer } | { ok: false; error: MagicardProtocolError };

/** The host's side: chunks in, reply bodies out; bytes outside a reply reported once per run. */
export class MagicardReplyFramer {
  private body: number[] | undefined;
  private skipped = 0;

  reset(): void {
    this.body = undefined;
    this.skipped = 0;
  }

  push(chunk: Uint8Array): ReplyItem[] {
    const items: ReplyItem[] = [];
    for (const byte of chunk) {
      if (this.body === undefined) {
        if (byte === START) {
          this.body = [];
        } else this.skipped++;
        continue;
      }
      if (byte === END) {
        items.push({ ok: true, body: Buffer.from(this.body) });
        this.body = undefined;
      } else if (this.body.length >= MAX_REPLY) {
        items.push({
          ok: false,
          error: new MagicardProtocolError('magicard_too_long', `a reply longer than ${MAX_REPLY} bytes`),
        });
        this.body = undefined;
        this.skipped = 0;
      } else this.body.push(byte);
    }
    // Bytes that start no reply are an answer too (a wrong one): said now, not at the next reply.
    if (this.body === undefined && this.skipped > 0) items.push(this.garbage());
    return items;
  }

  private garbage(): ReplyItem {
    const skipped = this.skipped;
    this.skipped = 0;
    return {
      ok: false,
      error: new MagicardProtocolError('magicard_garbage', `${skipped} bytes outside a reply`),
    };
  }
}
