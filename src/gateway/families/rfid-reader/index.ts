/**
 * The RFID reader family: HF pads and self-check readers (FEIG advanced host
 * protocol, 3M 810) keeping an inventory of the ISO 15693 tags on them, decoding
 * their ISO 28560 data and writing item security (AFI/EAS). Its simulator kind
 * is `rfid-pad`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type RfidReaderConfig, rfidReaderSchema } from './config.js';
import { RFID_READER_EVENTS, type RfidReaderEvents } from './events.js';

export { type RfidReaderConfig, rfidReaderSchema } from './config.js';
export { encodeItem } from './encode.js';
export type { RfidReaderEvents } from './events.js';
export type {
  RfidItemView,
  RfidProgramRequest,
  RfidReaderPort,
  RfidSecurityView,
  RfidTagsView,
  RfidTagView,
} from './port.js';

export const rfidReaders = deviceFamily<RfidReaderEvents>()({
  kind: 'rfid-reader',
  inWords: 'an RFID reader',
  wrongKindCode: 'not_an_rfid_reader',
  config: rfidReaderSchema,
  events: RFID_READER_EVENTS,
  check: (config: RfidReaderConfig, layout, issue) =>
    checkSimulatorTransport(config.transport, 'rfid-pad', layout, issue),
  create: async (config: RfidReaderConfig, context) =>
    new (await import('./entry.js')).RfidReaderEntry(config, context),
});
