/**
 * The simulated pad's control API (node:http, JSON, 127.0.0.1).
 *
 *   GET    /api/tags                 every known tag (on the pad and taken away)
 *   POST   /api/tags                 place {uid?, preset?, memoryHex?, afi?, dsfid?, eas?, blockCount?}
 *                                     or an item by barcode {uid?, item: {id, usage?, owner?, set?, secured?}, …}
 *   DELETE /api/tags/:uid            take the tag off the pad (kept for when it returns)
 *   POST   /api/tags/:uid/move       {onPad: boolean}
 *   GET    /api/faults               current fault rates
 *   PUT    /api/faults               {crcErrorRate?, missRate?, leaveDuringWriteRate?} (0..1)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { itemTagSchema } from './item-tags.js';
import type { PadField } from './pad.js';
import { tagJson } from './tags.js';

const MAX_BODY = 64 * 1024;

const PlaceBody = z
  .object({
    uid: z
      .string()
      .regex(/^[0-9A-Fa-f]{16}$/)
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

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControlServer(
  pad: PadField,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(pad, request, response).catch((error: unknown) => {
      if (error instanceof HttpProblem) send(response, error.status, { error: error.message });
      else send(response, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(pad: PadField, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  const method = request.method ?? 'GET';
  if (parts[0] !== 'api') throw new HttpProblem(404, 'not found');
  if (parts[1] === 'tags' && parts.length === 2) {
    if (method === 'GET') return send(response, 200, { tags: pad.tags() });
    if (method === 'POST') {
      const spec = parse(PlaceBody, await readJson(request));
      let tag: ReturnType<PadField['place']>;
      try {
        tag = pad.place(spec);
      } catch (error) {
        throw new HttpProblem(400, (error as Error).message);
      }
      return send(response, 201, tagJson(tag, true));
    }
  }
  if (parts[1] === 'tags' && parts.length >= 3) {
    const uid = (parts[2] ?? '').toUpperCase();
    if (parts.length === 3 && method === 'DELETE') {
      if (!pad.remove(uid)) throw new HttpProblem(404, `tag ${uid} is not on the pad`);
      return send(response, 200, { uid, onPad: false });
    }
    if (parts[3] === 'move' && method === 'POST') {
      const { onPad } = parse(MoveBody, await readJson(request));
      if (!pad.move(uid, onPad)) throw new HttpProblem(404, `no tag ${uid} to move`);
      return send(response, 200, { uid, onPad });
    }
  }
  if (parts[1] === 'faults' && parts.length === 2) {
    if (method === 'GET') return send(response, 200, pad.faults());
    if (method === 'PUT')
      return send(response, 200, pad.setFaults(parse(FaultsBody, await readJson(request))));
  }
  throw new HttpProblem(404, 'not found');
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new HttpProblem(
      400,
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  return result.data;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpProblem(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'body is not JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
