/**
 * Message types derived from the specs in messages.ts and fields.ts: nothing here
 * is written by hand per message. `Sip2Message<'patronInformation'>` is what the
 * decoder returns; `Sip2MessageInput<'patronInformation'>` is what the encoder takes
 * (dates may be Date objects, enums may be given by name, flag sets may be partial).
 */

import type { Sip2EnumInput, Sip2EnumKind, Sip2EnumName, Sip2EnumValue } from './enums.js';
import type { SIP2_FIELDS, Sip2FieldId } from './fields.js';
import type { PatronStatus, SummaryItems, SupportedMessages } from './flags.js';
import type { SIP2_MESSAGES, Sip2MessageType } from './messages.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type FixedOf<T extends Sip2MessageType> = (typeof SIP2_MESSAGES)[T]['fixed'][number];
type FieldsOf<T extends Sip2MessageType> = (typeof SIP2_MESSAGES)[T]['fields'];
type FieldDef<Id> = Id extends Sip2FieldId ? (typeof SIP2_FIELDS)[Id] : never;
type FieldNameOf<Id> = FieldDef<Id>['name'];

type FixedDecoded<F> = F extends { kind: 'flag' | 'bit' }
  ? boolean
  : F extends { kind: 'ynu' }
    ? boolean | 'unknown'
    : F extends { kind: 'char' | 'text' }
      ? string
      : F extends { kind: 'digits'; blank: true }
        ? number | null
        : F extends { kind: 'digits' }
          ? number
          : F extends { kind: 'date18'; blank: true }
            ? string | null
            : F extends { kind: 'date18' }
              ? string
              : F extends { kind: 'enum'; enum: infer E extends Sip2EnumKind }
                ? Sip2EnumValue<Sip2EnumName<E>>
                : F extends { kind: 'patronStatus' }
                  ? PatronStatus
                  : F extends { kind: 'summary' }
                    ? SummaryItems | null
                    : never;

type FixedInput<F> = F extends { kind: 'digits'; blank: true }
  ? number | null
  : F extends { kind: 'date18'; blank: true }
    ? string | Date | null
    : F extends { kind: 'date18' }
      ? string | Date
      : F extends { kind: 'enum'; enum: infer E extends Sip2EnumKind }
        ? Sip2EnumInput<E>
        : F extends { kind: 'patronStatus' }
          ? Partial<PatronStatus>
          : FixedDecoded<F>;

/** Fixed fields an encoder may leave out: those the spec lets be blank, the patron-status flags (all blank) and the summary. */
type FixedOptional<F> = F extends { blank: true } | { kind: 'patronStatus' | 'summary' } ? true : false;

type FieldDecoded<D> = D extends { repeatable: true }
  ? string[]
  : D extends { kind: 'flag' }
    ? boolean
    : D extends { kind: 'enum'; enum: infer E extends Sip2EnumKind }
      ? Sip2EnumValue<Sip2EnumName<E>>
      : D extends { kind: 'supportedMessages' }
        ? SupportedMessages
        : string;

type FieldInput<D> = D extends { repeatable: true }
  ? readonly string[]
  : D extends { kind: 'date' }
    ? string | Date
    : D extends { kind: 'enum'; enum: infer E extends Sip2EnumKind }
      ? Sip2EnumInput<E>
      : D extends { kind: 'supportedMessages' }
        ? Partial<SupportedMessages>
        : FieldDecoded<D>;

type RequiredIds<T extends Sip2MessageType> = {
  [Id in keyof FieldsOf<T>]: FieldsOf<T>[Id] extends 'required' ? Id : never;
}[keyof FieldsOf<T>];
type OptionalIds<T extends Sip2MessageType> = Exclude<keyof FieldsOf<T>, RequiredIds<T>>;

/** A field the message spec does not list (unknown id, or a repeat of a single field), kept in wire order. */
export interface Sip2ExtraField {
  readonly id: string;
  readonly value: string;
}

interface Sip2Common {
  /** AY, 0–9, when the frame carried error detection. */
  sequence?: number;
  /** Fields outside the message spec, in wire order; written back after the spec's fields. */
  extraFields?: Sip2ExtraField[];
}

export type Sip2Message<T extends Sip2MessageType> = Simplify<
  { type: T } & { [F in FixedOf<T> as F['name']]: FixedDecoded<F> } & {
    [Id in RequiredIds<T> as FieldNameOf<Id>]: FieldDecoded<FieldDef<Id>>;
  } & { [Id in OptionalIds<T> as FieldNameOf<Id>]?: FieldDecoded<FieldDef<Id>> } & Sip2Common
>;

export type Sip2MessageInput<T extends Sip2MessageType> = Simplify<
  { type: T } & {
    [F in FixedOf<T> as FixedOptional<F> extends true ? never : F['name']]: FixedInput<F>;
  } & {
    [F in FixedOf<T> as FixedOptional<F> extends true ? F['name'] : never]?: FixedInput<F>;
  } & { [Id in RequiredIds<T> as FieldNameOf<Id>]: FieldInput<FieldDef<Id>> } & {
    [Id in OptionalIds<T> as FieldNameOf<Id>]?: FieldInput<FieldDef<Id>>;
  } & Sip2Common
>;

/** Any decoded message, discriminated by `type`. */
export type AnySip2Message = { [T in Sip2MessageType]: Sip2Message<T> }[Sip2MessageType];
/** Any encodable message, discriminated by `type`. */
export type AnySip2MessageInput = { [T in Sip2MessageType]: Sip2MessageInput<T> }[Sip2MessageType];
