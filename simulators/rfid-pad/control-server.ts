/**
 * The simulated pad's control API (node:http, JSON, 127.0.0.1).
 *
 *   GET    /api/tags                 every known tag (on the pad and taken away)
 *   POST   /api/tags                 place {uid?, preset?, memoryHex?, afi?, dsfid?, eas?, blockCount?, unreadable?}
 *                                     or an item by barcode {uid?, item: {id, usage?, owner?, set?, secured?}, …}:
 *                                     201; with the uid of a tag it holds, that tag changed as the body
 *                                     says (the rest kept) and on the pad: 200
 *   DELETE /api/tags/:uid            take the tag off the pad (kept for when it returns)
 *   POST   /api/tags/:uid/move       {onPad: boolean}
 *   GET    /api/faults               current fault rates
 *   PUT    /api/faults               {crcErrorRate?, missRate?, leaveDuringWriteRate?} (0..1)
 */
import { z } from 'zod';
import {
  ControlProblem,
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import { itemTagSchema } from './item-tags.js';
import type { PadField } from './pad.js';
import { tagJson } from './tags.js';

const PlaceBody = z
  .object({
    // Every ISO 15693 UID begins E0: one that does not, Carrel would list but could never act on.
    uid: z
      .string()
      .regex(
        /^[Ee]0[0-9A-Fa-f]{14}$/,
        'an ISO 15693 UID is 16 hex digits beginning E0, e.g. E004010000000001',
      )
      .optional(),
    preset: z.enum(['V1', 'V2', 'V3', 'V5', 'blank']).optional(),
    memoryHex: z
      .string()
      .regex(/^[0-9A-Fa-f\s]*$/)
      .max(2048)
      .optional(),
    afi: z.number().int().min(0).max(255).optional(),
    dsfid: z.number().int().min(0).max(255).optional(),
    eas: z.boolean().optional(),
    blockCount: z.number().int().min(1).max(256).optional(),
    /** Every read of its memory answered with the tag's error. */
    unreadable: z.boolean().optional(),
    /** A library item by barcode, encoded as ISO 28560-3 (see item-tags.ts). */
    item: itemTagSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.item === undefined) return;
    for (const key of ['preset', 'memoryHex', 'afi'] as const)
      if (body[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not with item (the item's memory comes from its barcode${key === 'afi' ? ', its AFI from item.secured' : ''})`,
        });
  });
const MoveBody = z.object({ onPad: z.boolean() }).strict();
const FaultsBody = z
  .object({
    crcErrorRate: z.number().min(0).max(1).optional(),
    missRate: z.number().min(0).max(1).optional(),
    leaveDuringWriteRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export function startControlServer(pad: PadField, options: { host: string; port: number }) {
  return startServer((request) => route(pad, request), options);
}

async function route(pad: PadField, request: ControlRequest) {
  const parts = request.path.split('/').filter(Boolean);
  const method = request.method;
  if (parts[0] !== 'api') return notFound(request);
  if (parts[1] === 'tags' && parts.length === 2) {
    if (method === 'GET') return ok({ tags: pad.tags() });
    if (method === 'POST') {
      const spec = await request.body(PlaceBody);
      const held = spec.uid !== undefined && pad.tag(spec.uid) !== undefined;
      let tag: ReturnType<PadField['place']>;
      try {
        tag = pad.place(spec);
      } catch (error) {
        throw new ControlProblem(400, (error as Error).message);
      }
      return ok(tagJson(tag, true), held ? 200 : 201);
    }
  }
  if (parts[1] === 'tags' && parts.length >= 3) {
    const uid = (parts[2] ?? '').toUpperCase();
    if (parts.length === 3 && method === 'DELETE') {
      if (!pad.remove(uid)) throw new ControlProblem(404, `tag ${uid} is not on the pad`);
      return ok({ uid, onPad: false });
    }
    if (parts[3] === 'move' && method === 'POST') {
      const { onPad } = await request.body(MoveBody);
      if (!pad.move(uid, onPad)) throw new ControlProblem(404, `no tag ${uid} to move`);
      return ok({ uid, onPad });
    }
  }
  if (parts[1] === 'faults' && parts.length === 2) {
    if (method === 'GET') return ok(pad.faults());
    if (method === 'PUT') return ok(pad.setFaults(await request.body(FaultsBody)));
  }
  return notFound(request);
}
