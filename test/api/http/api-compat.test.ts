import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildHttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { deskMqttActions } from '../../../src/app/mqtt-feature.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeServices } from './fake-services.js';

/**
 * The public API kept: every operation of Carrel 0.1's OpenAPI document (taken
 * before device families became one unit each) is still served at the same
 * method and path, takes the same parameters and request body, answers the same
 * statuses, and its answers still carry every field they carried. New
 * operations and new fields are allowed; nothing may be removed or changed.
 */
interface Operation {
  method: string;
  path: string;
  parameters: unknown[];
  requestBody: unknown;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

const before = JSON.parse(
  readFileSync(new URL('../../fixtures/api/openapi-0.1.json', import.meta.url), 'utf8'),
) as { operations: Record<string, Operation> };

async function currentDocument(): Promise<{
  paths: Record<string, Record<string, Operation & { operationId: string }>>;
}> {
  const api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: fakeServices().services,
    logger: silentLogger(),
    tokens: [],
    version: 'test',
  });
  try {
    return (await api.app.inject({ url: '/docs/openapi.json' })).json();
  } finally {
    await api.app.close();
  }
}

/** Every field `old` promises is still in `now`, with the same type. */
function keepsFields(
  old: Schema | undefined,
  now: Schema | undefined,
  where: string,
  problems: string[],
): void {
  if (!old) return;
  if (!now) {
    problems.push(`${where}: gone`);
    return;
  }
  if (JSON.stringify(old.type) !== JSON.stringify(now.type))
    problems.push(`${where}: type ${old.type} → ${now.type}`);
  for (const [name, field] of Object.entries(old.properties ?? {}))
    keepsFields(field, now.properties?.[name], `${where}.${name}`, problems);
  keepsFields(old.items, now.items, `${where}[]`, problems);
  for (const key of ['anyOf', 'oneOf'] as const)
    (old[key] ?? []).forEach((variant, i) => {
      keepsFields(variant, now[key]?.[i], `${where}|${i}`, problems);
    });
}

/**
 * A request body as 0.1 clients see it: fields added since then that a request may leave out
 * (sessions' `scanner`, say) are taken away, so an old request is still a valid one. A new
 * required field, or any change to an old one, still shows.
 */
function withoutNewOptionalFields(now: unknown, old: unknown): unknown {
  type Body = { content?: Record<string, { schema?: BodySchema }> };
  if (!now || !old) return now;
  const copy = structuredClone(now) as Body;
  for (const [type, media] of Object.entries(copy.content ?? {}))
    if (media.schema) dropNewOptional(media.schema, (old as Body).content?.[type]?.schema);
  return copy;
}

type BodySchema = { properties?: Record<string, unknown>; required?: string[]; anyOf?: BodySchema[] };

/** New optional properties are allowed, in a body's object and in each branch of its union. */
function dropNewOptional(schema: BodySchema, old: BodySchema | undefined): void {
  for (const [i, branch] of (schema.anyOf ?? []).entries()) dropNewOptional(branch, old?.anyOf?.[i]);
  if (!schema.properties) return;
  const oldProperties = old?.properties ?? {};
  for (const name of Object.keys(schema.properties))
    if (!(name in oldProperties) && !(schema.required ?? []).includes(name)) delete schema.properties[name];
}

/**
 * Where 0.1's document was wrong about what the server answered, and the document was put right:
 * the answer itself never changed. Each by operation and status.
 */
const CORRECTED: Readonly<Record<string, string>> = {
  // /readyz has always answered 503 with the readiness report itself (its failing checks), never a
  // problem; 0.1's document said application/problem+json.
  'readiness 503': 'the readiness report, as the server always answered',
};

describe('the public HTTP API of Carrel 0.1, kept', () => {
  it('serves every 0.1 operation unchanged (method, path, parameters, body, statuses, answer fields)', async () => {
    const document = await currentDocument();
    const now = new Map<string, Operation>();
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(methods))
        now.set(op.operationId, { ...op, method: method.toUpperCase(), path });
    const problems: string[] = [];
    for (const [id, old] of Object.entries(before.operations)) {
      const current = now.get(id);
      if (!current) {
        problems.push(`${id}: removed`);
        continue;
      }
      if (current.method !== old.method || current.path !== old.path)
        problems.push(`${id}: moved from ${old.method} ${old.path} to ${current.method} ${current.path}`);
      // Every parameter kept as it was; a new one only optional (the Idempotency-Key header).
      type Parameter = { name: string; in: string; required?: boolean };
      const known = (parameter: Parameter) =>
        (old.parameters as Parameter[]).some(
          (kept) => kept.name === parameter.name && kept.in === parameter.in,
        );
      const parameters = (current.parameters ?? []) as Parameter[];
      expect(parameters.filter(known), `${id} parameters`).toEqual(old.parameters);
      for (const parameter of parameters.filter((p) => !known(p)))
        if (parameter.required) problems.push(`${id}: a new required parameter ${parameter.name}`);
      expect(
        withoutNewOptionalFields(current.requestBody, old.requestBody) ?? null,
        `${id} request body`,
      ).toEqual(old.requestBody);
      for (const [status, answer] of Object.entries(old.responses)) {
        const kept = current.responses[status];
        if (!kept) {
          problems.push(`${id}: no longer answers ${status}`);
          continue;
        }
        if (`${id} ${status}` in CORRECTED) continue;
        const schema = (r: typeof answer) => Object.values(r.content ?? {})[0]?.schema;
        keepsFields(schema(answer), schema(kept), `${id} ${status}`, problems);
      }
    }
    expect(problems).toEqual([]);
    expect(Object.keys(before.operations)).toHaveLength(32);
  });

  it('offers every 0.1 MQTT action under the same name', () => {
    const actions = Object.keys(deskMqttActions(fakeServices().services, FAMILY_API_MODULES));
    expect(actions).toEqual(
      expect.arrayContaining([
        'devices.list',
        'devices.get',
        'printers.print',
        'printers.job',
        'rfid.tags',
        'rfid.security',
        'rfid.program',
        'circulation.patron',
        'circulation.checkout',
        'circulation.checkin',
        'circulation.renew',
        'circulation.renewAll',
        'circulation.hold',
        'circulation.holdCancel',
        'circulation.feePaid',
        'circulation.item',
        'circulation.endSession',
      ]),
    );
  });
});
