/**
 * RFID pads over the API: the tags on a pad (decoded), item security (AFI/EAS,
 * read back), and programming new tag data. A patron card's id is the patron's
 * id: it is shown over HTTP to kiosk and staff only, and it never leaves the
 * gateway in an MQTT answer or in an event (WebSocket or MQTT), whoever listens.
 */
import { z } from 'zod';
import type { DeviceEvent } from '../../devices/device-state.js';
import {
  type RfidItemView,
  type RfidReaderEvents,
  type RfidTagsView,
  type RfidTagView,
  rfidReaders,
} from '../../gateway/families/rfid-reader/index.js';
import { isPatronCard, PATRON_CARD_USAGE } from '../../protocols/rfid/index.js';
import {
  deviceIdParams,
  rfidProgramRequestSchema,
  rfidSecurityRequestSchema,
  rfidSecuritySchema,
  rfidTagParams,
  rfidTagSchema,
  rfidTagsSchema,
} from '../http/schemas.js';
import { type ApiModule, operation } from '../operations.js';

/** A patron card's item without the patron's id: what events and MQTT answers carry. */
function patronCardMarker(item: RfidItemView): Record<string, unknown> {
  return { format: item.format, typeOfUsage: PATRON_CARD_USAGE, ...(item.isil ? { isil: item.isil } : {}) };
}

/** A tag view for audiences that may not see patron ids. */
export function withoutPatronIds(tag: RfidTagView): RfidTagView {
  return tag.item && isPatronCard(tag.item)
    ? { ...tag, item: patronCardMarker(tag.item) as unknown as RfidItemView }
    : tag;
}

/** The pad's tags for audiences that may not see patron ids. */
export function tagsWithoutPatronIds(view: RfidTagsView): RfidTagsView {
  return { tags: view.tags.map(withoutPatronIds), incompleteSets: view.incompleteSets };
}

type Payload<T extends keyof RfidReaderEvents> = RfidReaderEvents[T];

/**
 * A pad's event as it may leave the gateway: a patron card's id is replaced by
 * a marker (its format, type of usage and library), in every event that could
 * carry it. Inside the gateway the events are whole (a session reads the card).
 */
export function publicRfidEvent(event: DeviceEvent): DeviceEvent {
  const data = event.data;
  switch (event.type) {
    case 'rfid.tag_arrived':
    case 'rfid.tag_programmed': {
      const item = (data as Payload<'rfid.tag_arrived'>).item;
      return item && isPatronCard(item)
        ? { ...event, data: { ...data, item: patronCardMarker(item) } }
        : event;
    }
    case 'rfid.tag_left': {
      const { typeOfUsage, ...rest } = data as Payload<'rfid.tag_left'>;
      return typeOfUsage === PATRON_CARD_USAGE
        ? { ...event, data: { ...rest, primaryItemId: null, typeOfUsage } }
        : { ...event, data: rest };
    }
    default:
      return event;
  }
}

const tag = 'rfid';

export const rfidReaderApi: ApiModule = {
  name: 'rfid',
  problems: {
    not_an_rfid_reader: { status: 409, title: 'Device is not an RFID reader' },
    rfid_tag_not_found: { status: 404, title: 'Tag not on the pad' },
    rfid_security_failed: { status: 409, title: 'Tag security could not be set' },
    rfid_write_failed: { status: 409, title: 'Tag could not be written' },
    rfid_write_unknown: { status: 409, title: 'Whether the tag was written is not known' },
    rfid_invalid_value: { status: 422, title: 'Tag data not writable' },
    rfid_value_too_long: { status: 422, title: 'Tag data too long' },
    rfid_unencodable: { status: 422, title: 'Tag data not encodable' },
    rfid_memory_too_small: { status: 422, title: 'Tag memory too small' },
    rfid_unsupported: { status: 409, title: 'This RFID reader cannot do that' },
    rfid_bad_reply: { status: 502, title: 'The RFID reader answered unreadably' },
    rfid_not_answering: { status: 504, title: 'The RFID reader does not answer' },
  },
  publicEvent: publicRfidEvent,
  operations: ({ ports }) => {
    const reader = (id: string) => ports.port(rfidReaders, id);
    return [
      operation({
        method: 'GET',
        url: '/api/v1/rfid/:reader/tags',
        operationId: 'listRfidTags',
        summary:
          'Tags on the pad now, each decoded (ISO 28560-2/-3, 3M), and multi-part sets with parts missing',
        tag,
        access: ['kiosk', 'staff'],
        params: z.object({ reader: deviceIdParams.shape.id }),
        response: rfidTagsSchema,
        problems: [404, 409, 502, 503, 504],
        // MQTT answers never name a patron: the card's id stays behind.
        mqtt: { action: 'rfid.tags', answer: (result) => tagsWithoutPatronIds(result as RfidTagsView) },
        handler: ({ params }) => reader(params.reader).tags(),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/rfid/:reader/tags/:uid/security',
        operationId: 'setRfidTagSecurity',
        summary:
          'Secure (true) or unsecure (false) one item, verified by reading back; 202 when the tag left mid-write and the write waits for it',
        tag,
        access: ['kiosk', 'staff'],
        params: rfidTagParams,
        body: rfidSecurityRequestSchema,
        response: rfidSecuritySchema,
        problems: [404, 409, 502, 503, 504],
        mqtt: { action: 'rfid.security' },
        handler: async ({ params, body, reply }) => {
          const result = await reader(params.reader).setSecurity(params.uid, body.secured);
          if (result.status === 'pending') reply?.code(202);
          return result;
        },
      }),
      operation({
        method: 'POST',
        url: '/api/v1/rfid/:reader/tags/:uid/program',
        operationId: 'programRfidTag',
        summary:
          'Write new tag data (ISO 28560-3 or -2) to a tag on the pad, read it back, return it decoded',
        tag,
        access: ['staff'],
        params: rfidTagParams,
        body: rfidProgramRequestSchema,
        response: rfidTagSchema,
        problems: [404, 409, 422, 502, 503, 504],
        mqtt: { action: 'rfid.program', answer: (result) => withoutPatronIds(result as RfidTagView) },
        handler: ({ params, body }) => reader(params.reader).program(params.uid, body),
      }),
    ];
  },
};
