/**
 * Masks secrets in a SIP2 frame before it is logged. Passwords and PINs (AD
 * patron password, CO login password, AC terminal password) are always masked;
 * patron data (AA patron id, AE name, BD address, BE e-mail, BF phone, and the
 * extensions reference servers send: CY the patron a checked-in item is held
 * for, PB birth date) too unless `patronData: false`; item identifiers only with `items: true`. CN, the login user
 * id, is kept: it names the self-check, not a person.
 */

import { COMPILED_BY_CODE } from './compiled.js';

export interface MaskOptions {
  /** Mask patron identifiers, names and contact details too. Default true. */
  patronData?: boolean;
  /**
   * Mask item identifiers too: AB, and the item lists of 64 (AS, AT, AU, AV, BU, CD)
   * and 66 (BM, BN). Default false.
   */
  items?: boolean;
  /** What a masked value becomes. Default '***'. */
  mask?: string;
}

const SECRET_IDS = new Set(['AD', 'CO', 'AC']);
const PATRON_IDS = new Set(['AA', 'AE', 'BD', 'BE', 'BF', 'CY', 'PB']);
const ITEM_IDS = new Set(['AB', 'AS', 'AT', 'AU', 'AV', 'BU', 'CD', 'BM', 'BN']);

export function maskFrame(frame: string | Uint8Array, options: MaskOptions = {}): string {
  const text = typeof frame === 'string' ? frame : Buffer.from(frame).toString('latin1');
  const patronData = options.patronData ?? true;
  const mask = options.mask ?? '***';
  const items = options.items ?? false;
  const masked = (id: string) =>
    SECRET_IDS.has(id) || (patronData && PATRON_IDS.has(id)) || (items && ITEM_IDS.has(id));

  const code = /^\d\d/.test(text) ? Number(text.slice(0, 2)) : -1;
  const compiled = code >= 0 ? COMPILED_BY_CODE[code] : undefined;
  // Where the variable fields start: after the fixed part of a known message; otherwise only
  // fields that follow a `|` can be found.
  let pos: number;
  let out: string;
  if (compiled !== undefined && text.length >= compiled.fixedLength) {
    pos = compiled.fixedLength;
    out = text.slice(0, pos);
  } else {
    const bar = text.indexOf('|');
    if (bar < 0) return text;
    pos = bar + 1;
    out = text.slice(0, pos);
  }
  while (pos < text.length) {
    let bar = text.indexOf('|', pos);
    if (bar < 0) {
      // The last field may lack its `|`, and the terminator may follow.
      let end = text.length;
      while (end > pos && (text[end - 1] === '\r' || text[end - 1] === '\n')) end--;
      const id = text.slice(pos, pos + 2);
      out += masked(id) && end - pos > 2 ? id + mask + text.slice(end) : text.slice(pos);
      return out;
    }
    const id = text.slice(pos, pos + 2);
    out += masked(id) && bar - pos >= 2 ? id + mask + '|' : text.slice(pos, bar + 1);
    bar++;
    pos = bar;
  }
  return out;
}

/** Field ids that may carry a secret or a patron's data, met anywhere in a frame. */
const PRIVATE_ANYWHERE = /(AA|AD|AC|AE|BD|BE|BF|CO|CY|PB)[^|\r\n]+/g;

/**
 * A frame for a log line: masked by field (maskFrame), then any private field id
 * met anywhere — in a garbled fixed part, an unknown message, behind a mangled
 * delimiter — masked with everything up to the next `|`. A malformed frame may
 * come out over-masked; a PIN never comes out. The terminator is dropped.
 */
export function maskFrameForLog(
  frame: string | Uint8Array,
  options: Pick<MaskOptions, 'items'> = {},
): string {
  return maskFrame(frame, options)
    .replace(PRIVATE_ANYWHERE, '$1***')
    .replace(/[\r\n]+$/, '');
}
