import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/services.js';
import type { RouteBook } from '../routes.js';
import {
  deviceIdParams,
  rfidProgramRequestSchema,
  rfidSecurityRequestSchema,
  rfidSecuritySchema,
  rfidTagParams,
  rfidTagSchema,
  rfidTagsSchema,
} from '../schemas.js';

/**
 * RFID pads: the tags on a pad (decoded), item security (AFI/EAS, read back), and
 * programming new tag data. Patron card ids are shown here, to kiosk and staff only;
 * events never carry them.
 */
export function rfidRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  const { rfid } = services;

  book.add(app, {
    method: 'GET',
    url: '/api/v1/rfid/:reader/tags',
    operationId: 'listRfidTags',
    summary: 'Tags on the pad now, each decoded (ISO 28560-2/-3, 3M), and multi-part sets with parts missing',
    tag: 'rfid',
    access: ['kiosk', 'staff'],
    params: z.object({ reader: deviceIdParams.shape.id }),
    response: rfidTagsSchema,
    problems: [404, 409, 503],
    handler: ({ params }) => rfid.tags(params.reader),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/rfid/:reader/tags/:uid/security',
    operationId: 'setRfidTagSecurity',
    summary:
      'Secure (true) or unsecure (false) one item, verified by reading back; 202 when the tag left mid-write and the write waits for it',
    tag: 'rfid',
    access: ['kiosk', 'staff'],
    params: rfidTagParams,
    body: rfidSecurityRequestSchema,
    response: rfidSecuritySchema,
    problems: [404, 409, 503],
    handler: async ({ params, body, reply }) => {
      const result = await rfid.setSecurity(params.reader, params.uid, body.secured);
      if (result.status === 'pending') reply.code(202);
      return result;
    },
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/rfid/:reader/tags/:uid/program',
    operationId: 'programRfidTag',
    summary: 'Write new tag data (ISO 28560-3 or -2) to a tag on the pad, read it back, return it decoded',
    tag: 'rfid',
    access: ['staff'],
    params: rfidTagParams,
    body: rfidProgramRequestSchema,
    response: rfidTagSchema,
    problems: [404, 409, 422, 503],
    handler: ({ params, body }) => rfid.program(params.reader, params.uid, body),
  });
}
