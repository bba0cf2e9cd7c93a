import type { PadTag } from '../../../devices/rfid/index.js';
import {
  DSFID_ISO28560_2,
  DSFID_ISO28560_3,
  encodeIso28560Part2,
  encodeIso28560Part3,
} from '../../../protocols/rfid/index.js';
import type { RfidProgramRequest } from './port.js';

/** Encodes new tag data with the ISO 28560 codecs, sized to the tag's memory (older data is zeroed). */
export function encodeItem(
  request: RfidProgramRequest,
  tag: Pick<PadTag, 'blockSize' | 'blockCount'>,
): Uint8Array {
  const blockSize = tag.blockSize ?? 4;
  const memorySize = tag.blockCount === undefined ? undefined : tag.blockCount * blockSize;
  const common = {
    primaryItemId: request.primaryItemId,
    typeOfUsage: request.typeOfUsage ?? 'circulating',
    ...(request.isil ? { ownerLibrary: request.isil } : {}),
    ...(request.set ? { set: request.set } : {}),
  };
  const sized = memorySize === undefined ? {} : { memorySize };
  if (request.format === '28560-3') {
    const layout = memorySize !== undefined && memorySize < 34 ? 32 : 34;
    return encodeIso28560Part3({ ...common, layout }, sized);
  }
  return encodeIso28560Part2(common, { ...sized, blockSize });
}

/** The DSFID written with the data of `format`: 0x06 for ISO 28560-2, 0x3E for ISO 28560-3. */
export function dsfidOf(format: RfidProgramRequest['format']): number {
  return format === '28560-3' ? DSFID_ISO28560_3 : DSFID_ISO28560_2;
}
