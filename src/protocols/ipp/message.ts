import { PeerError } from '../../core/errors.js';

/** `rangeOfInteger`: lower and upper bound, inclusive. */
export interface IppRange {
  lower: number;
  upper: number;
}

/** `resolution`: cross-feed and feed direction, per inch (3) or per centimetre (4). */
export interface IppResolution {
  x: number;
  y: number;
  units: number;
}

/** `textWithLanguage` / `nameWithLanguage`. */
export interface IppLanguageString {
  language: string;
  text: string;
}

/** `dateTime` (RFC 2579 DateAndTime), its eleven fields as sent, so it encodes back exactly. */
export interface IppDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minutes: number;
  seconds: number;
  deciseconds: number;
  /** '+' or '-' from UTC. */
  direction: '+' | '-';
  utcHours: number;
  utcMinutes: number;
}

/** `collection`: its member attributes, in order. */
export interface IppCollection {
  members: IppAttribute[];
}

/**
 * One value, as its syntax has it: integer and enum are numbers, boolean a
 * boolean, the string syntaxes strings, octetString bytes, the out-of-band
 * values (unknown, no-value…) null. A value of a syntax Carrel does not know
 * is kept as its bytes.
 */
export type IppValue =
  | number
  | boolean
  | string
  | Uint8Array
  | null
  | IppRange
  | IppResolution
  | IppLanguageString
  | IppDateTime
  | IppCollection;

export interface IppTaggedValue {
  tag: number;
  value: IppValue;
}

/** An attribute: a name and one or more values (a 1setOf may mix syntaxes: keyword | name). */
export interface IppAttribute {
  name: string;
  values: IppTaggedValue[];
}

export interface IppGroup {
  /** The delimiter tag: 0x01 operation, 0x02 job, 0x04 printer… (GROUP). */
  tag: number;
  attributes: IppAttribute[];
}

/** A request (code is the operation id) or a response (code is the status code). */
export interface IppMessage {
  version: { major: number; minor: number };
  code: number;
  requestId: number;
  groups: IppGroup[];
  /** What follows the attributes: the document of a Print-Job or Send-Document, or of CUPS-Get-Document. */
  data: Uint8Array;
}

export type IppErrorCode = 'ipp_truncated' | 'ipp_malformed' | 'ipp_too_large';

/** Bytes that are not a well-formed IPP message. */
export class IppError extends PeerError {
  constructor(code: IppErrorCode, message: string) {
    super(code, message);
  }
}
