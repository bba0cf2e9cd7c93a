/**
 * The message specs turned into lookup tables once, at load: the decoder's hot
 * path then does array indexing only, no per-field string keys or regexes.
 */

import { SIP2_ENUMS, type Sip2EnumKind, type Sip2EnumTable } from './enums.js';
import { FIELD_SLOTS, fieldSlot, SIP2_FIELDS, type Sip2FieldId } from './fields.js';
import {
  type FixedFieldSpec,
  fixedLength,
  type MessageSpec,
  SIP2_MESSAGES,
  type Sip2MessageType,
} from './messages.js';

export interface CompiledField {
  readonly id: Sip2FieldId;
  /** Index in the decoder's value array. */
  readonly slot: number;
  readonly name: string;
  readonly kind: 'text' | 'flag' | 'date' | 'enum' | 'supportedMessages';
  readonly repeatable: boolean;
  readonly required: boolean;
  readonly enumTable: Sip2EnumTable | undefined;
}

export interface CompiledFixed extends FixedFieldSpec {
  readonly offset: number;
  readonly enumTable: Sip2EnumTable | undefined;
}

export interface CompiledMessage {
  readonly type: Sip2MessageType;
  readonly spec: MessageSpec;
  readonly code: string;
  readonly fixedLength: number;
  readonly fixed: readonly CompiledFixed[];
  /** The spec's variable fields in write order. */
  readonly fields: readonly CompiledField[];
  /** By global field index (FIELD_INDEX_BY_SLOT): this message's field, if it has it. */
  readonly byIndex: ReadonlyArray<CompiledField | undefined>;
  readonly required: readonly CompiledField[];
  /** Slots in the decoder's value array: fixed fields, then variable fields, then sequence and extraFields. */
  readonly slotCount: number;
  /** Builds the message object from the value array (see recordFactory). */
  readonly build: (values: unknown[]) => Record<string, unknown>;
}

const FIELD_IDS = Object.keys(SIP2_FIELDS) as Sip2FieldId[];

/** Two-letter id slot → 1 + index into FIELD_IDS; 0 for ids no message knows. */
export const FIELD_INDEX_BY_SLOT = new Uint8Array(FIELD_SLOTS);
FIELD_IDS.forEach((id, index) => {
  FIELD_INDEX_BY_SLOT[fieldSlot(id.charCodeAt(0), id.charCodeAt(1))] = index + 1;
});

/**
 * A function that builds `{ ...constants, [keys[i]]: values[i] }` as one object
 * literal, so every object it makes has the same shape from birth. Adding dozens
 * of properties one keyed store at a time made decoding 3–4× slower. Keys with
 * an undefined value are present but undefined (optional fields that were absent).
 * The keys come from our own spec tables, never from the wire.
 */
export function recordFactory(
  keys: readonly string[],
  constants: Readonly<Record<string, string>> = {},
): (values: unknown[]) => Record<string, unknown> {
  const entries = [
    ...Object.entries(constants).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`),
    ...keys.map((key, index) => `${JSON.stringify(key)}: values[${index}]`),
  ];
  return new Function('values', `return { ${entries.join(', ')} };`) as (
    values: unknown[],
  ) => Record<string, unknown>;
}

function compile(type: Sip2MessageType, spec: MessageSpec): CompiledMessage {
  let offset = 2;
  const fixed = spec.fixed.map((field): CompiledFixed => {
    const compiled = {
      ...field,
      offset,
      enumTable: field.enum ? (SIP2_ENUMS[field.enum] as Sip2EnumTable) : undefined,
    };
    offset += field.width;
    return compiled;
  });
  const byIndex: Array<CompiledField | undefined> = new Array(FIELD_IDS.length + 1).fill(undefined);
  const fields: CompiledField[] = [];
  for (const [id, presence] of Object.entries(spec.fields) as Array<[Sip2FieldId, 'required' | 'optional']>) {
    const def = SIP2_FIELDS[id] as {
      name: string;
      kind: CompiledField['kind'];
      repeatable?: boolean;
      enum?: Sip2EnumKind;
    };
    const field: CompiledField = {
      id,
      slot: fixed.length + fields.length,
      name: def.name,
      kind: def.kind,
      repeatable: def.repeatable === true,
      required: presence === 'required',
      enumTable: def.enum ? (SIP2_ENUMS[def.enum] as Sip2EnumTable) : undefined,
    };
    fields.push(field);
    byIndex[FIELD_IDS.indexOf(id) + 1] = field;
  }
  return {
    type,
    spec,
    code: spec.code,
    fixedLength: fixedLength(spec),
    fixed,
    fields,
    byIndex,
    required: fields.filter((field) => field.required),
    slotCount: fixed.length + fields.length + 2,
    build: recordFactory(
      [...fixed.map((f) => f.name), ...fields.map((f) => f.name), 'sequence', 'extraFields'],
      {
        type,
      },
    ),
  };
}

export const COMPILED_BY_TYPE = new Map<string, CompiledMessage>();
/** By the code's two digits as a number 0..99. */
export const COMPILED_BY_CODE: Array<CompiledMessage | undefined> = new Array(100).fill(undefined);
for (const [type, spec] of Object.entries(SIP2_MESSAGES) as Array<[Sip2MessageType, MessageSpec]>) {
  const compiled = compile(type, spec);
  COMPILED_BY_TYPE.set(type, compiled);
  COMPILED_BY_CODE[Number(spec.code)] = compiled;
}
