/**
 * A field SIP2 gives a message once (every field of a request: AA, AB, AD, BO…; only answers have
 * repeatable ones, AF, AS…) that a self-check sent more than once. The decoder keeps the first and
 * the rest among the extra fields; relayed so, the ILS got them all, and Koha and Evergreen may keep
 * the last — a checkout to one patron, answered as made to another. The reference (SIP2 2.00) says
 * which fields repeat, and nothing of one that does not: the same value again says nothing new and
 * goes on once; two values are ambiguous, and the request is refused (answers.ts: fieldsSentTwice),
 * never relayed with a guess.
 */
import {
  type AnySip2Message,
  FIELD_ID_BY_NAME,
  SIP2_FIELDS,
  SIP2_MESSAGES,
  type Sip2ExtraField,
  type Sip2FieldId,
  type Sip2Warning,
} from '../../protocols/sip2/index.js';

export interface OnceOnlyRepeats {
  /** The request with each identical repeat left out; the same object when there was none. */
  request: AnySip2Message;
  /** Ids of the once-only fields sent with two values, in the order first met. */
  ambiguous: Sip2FieldId[];
}

/**
 * The request's once-only fields sent more than once: identical repeats left out, the fields
 * given two values named; undefined when nothing was repeated (nearly every request: nothing is
 * made then). `warnings` are the decoder's: a Y/N flag said both Y and N is read as N and its
 * repeats dropped (decode.ts), which only its `repeated_field` warning then tells.
 */
export function onceOnlyRepeats(
  request: AnySip2Message,
  warnings: readonly Sip2Warning[],
): OnceOnlyRepeats | undefined {
  if (request.extraFields === undefined && !warnings.some((warning) => warning.code === 'repeated_field'))
    return undefined;
  const own = (SIP2_MESSAGES[request.type] as { fields: Partial<Record<Sip2FieldId, unknown>> }).fields;
  const onceOnly = (id: string): id is Sip2FieldId =>
    id in own && !(SIP2_FIELDS[id as Sip2FieldId] as { repeatable?: boolean }).repeatable;
  const extra = request.extraFields ?? [];
  const ambiguous = new Set<Sip2FieldId>();
  const kept: Sip2ExtraField[] = [];
  for (const field of extra) {
    if (!onceOnly(field.id)) kept.push(field);
    else if (
      !sameValue(
        field.id,
        (request as unknown as Record<string, unknown>)[SIP2_FIELDS[field.id].name],
        field.value,
      )
    )
      ambiguous.add(field.id);
  }
  for (const warning of warnings) {
    if (warning.code !== 'repeated_field' || warning.field === undefined) continue;
    const id = FIELD_ID_BY_NAME.get(warning.field);
    // Repeated and no repeat kept among the extra fields: a flag said Y and N.
    if (id !== undefined && onceOnly(id) && !extra.some((field) => field.id === id)) ambiguous.add(id);
  }
  if (kept.length === extra.length)
    return ambiguous.size > 0 ? { request, ambiguous: [...ambiguous] } : undefined;
  const collapsed = { ...request } as AnySip2Message & { extraFields?: Sip2ExtraField[] };
  if (kept.length > 0) collapsed.extraFields = kept;
  else delete collapsed.extraFields;
  return { request: collapsed, ambiguous: [...ambiguous] };
}

/** Whether a repeat's value (as it came) says what the value kept (as decoded) says. */
function sameValue(id: Sip2FieldId, kept: unknown, repeat: string): boolean {
  switch (SIP2_FIELDS[id].kind) {
    case 'flag':
      return (repeat === 'Y' || repeat === 'y') === kept;
    case 'enum':
      return (kept as { code?: unknown } | undefined)?.code === repeat;
    default:
      return kept === repeat;
  }
}
