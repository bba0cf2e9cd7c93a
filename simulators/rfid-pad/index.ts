export { lineTimeMs } from './paced-writer.js';
export { type PadFaults, PadField, type TagFault, type TagResult } from './pad.js';
export { type RfidPadSimulator, type RfidPadSimulatorOptions, startRfidPadSimulator } from './simulator.js';
export { createTag, TAG_PRESETS, type TagPreset, type TagSpec, type VirtualTag } from './tags.js';
