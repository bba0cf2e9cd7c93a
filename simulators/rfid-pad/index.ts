export {
  checkItemTag,
  ITEM_TAG_DSFID,
  type ItemTag,
  itemTagMemory,
  itemTagSchema,
  parseItemArgument,
  SAMPLE_OWNER_LIBRARY,
  SECURED_AFI,
  UNSECURED_AFI,
} from './item-tags.js';
export { lineTimeMs } from './paced-writer.js';
export { type PadFaults, PadField, type TagFault, type TagResult } from './pad.js';
export { type RfidPadSimulator, type RfidPadSimulatorOptions, startRfidPadSimulator } from './simulator.js';
export { createTag, TAG_PRESETS, type TagPreset, type TagSpec, type VirtualTag } from './tags.js';
