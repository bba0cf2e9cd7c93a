/**
 * The ILS device's vendor fields (`extraFields`) added to a request. SIP2 gives each of a
 * message's own fields once (only answers have repeatable ones), so a rule whose id is one the
 * request already carries is not written a second time: the ILS would get two values and choose
 * (Koha and Evergreen may keep the last). The request's own value stands — the patron, item or
 * location the transaction is about — and the rule fills the field only where the request leaves
 * it empty or out; the rule skipped is told (`skipped`) so IT can see why the ILS did not get it.
 */
import {
  type AnySip2MessageInput,
  SIP2_FIELDS,
  SIP2_MESSAGES,
  type Sip2FieldId,
} from '../../protocols/sip2/index.js';
import type { IlsExtraField } from './config.js';

/** A vendor rule not written because the request carries the field with a value of its own. */
export interface SkippedVendorField {
  id: string;
  /** The request's 2-digit message code. */
  code: string;
}

/** The request with the rules for its message added; the same object when none applies. */
export function withVendorFields(
  request: AnySip2MessageInput,
  rules: readonly IlsExtraField[],
  skipped: (field: SkippedVendorField) => void,
): AnySip2MessageInput {
  const spec = SIP2_MESSAGES[request.type] as { code: string; fields: Partial<Record<Sip2FieldId, unknown>> };
  const code = spec.code;
  const record = request as unknown as Record<string, unknown>;
  let own: Record<string, unknown> | undefined;
  const extra = [...((request as { extraFields?: Array<{ id: string; value: string }> }).extraFields ?? [])];
  const before = extra.length;
  for (const rule of rules) {
    if (rule.messages !== undefined && !rule.messages.includes(code)) continue;
    const field = SIP2_FIELDS[rule.id as Sip2FieldId] as
      | { name: string; kind: string; repeatable?: boolean }
      | undefined;
    const onceOnly = field !== undefined && field.repeatable !== true;
    if (onceOnly && rule.id in spec.fields) {
      const value = (own ?? record)[field.name];
      if (value === undefined || value === '') {
        // Its own place, left empty ("AC|") or out: the rule's value goes there, once.
        if (field.kind === 'text') {
          own ??= { ...record };
          own[field.name] = rule.value;
          continue;
        }
        if (value === '') continue;
      } else {
        if (value !== rule.value) skipped({ id: rule.id, code });
        continue;
      }
    }
    const already = onceOnly ? extra.find((added) => added.id === rule.id) : undefined;
    if (already !== undefined) {
      if (already.value !== rule.value) skipped({ id: rule.id, code });
      continue;
    }
    extra.push({ id: rule.id, value: rule.value });
  }
  if (own === undefined && extra.length === before) return request;
  const result = (own ?? { ...record }) as AnySip2MessageInput & { extraFields?: unknown };
  if (extra.length > 0) result.extraFields = extra;
  return result;
}
