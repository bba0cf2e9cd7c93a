/** Library RFID tag data: ISO 28560-2/-3/-4, the 3M format, and the CRCs around them. Pure code. */

export { type ByteOrder, reverseBlocks } from './byte-order.js';
export {
  COMPACTION_BY_CODE,
  COMPACTION_CODES,
  type Compaction,
  compact,
  compactAs,
  decodeLength,
  encodeLength,
  expand,
} from './compaction.js';
export {
  CRC16_GENIBUS,
  CRC16_IBM_3740,
  CRC16_ISO_15693,
  CRC16_MCRF4XX,
  Crc16,
  type Crc16Parameters,
  crc16Genibus,
  crc16HighFirst,
  crc16Ibm3740,
  crc16Iso15693,
  crc16LowFirst,
  crc16Mcrf4xx,
} from './crc.js';
export {
  type BlankTagFields,
  DSFID_ISO28560_2,
  DSFID_ISO28560_3,
  decodeTag,
  type TagDecodeHints,
  type TagDecodeResult,
  type TagDecodeSuccess,
  type TagFieldsByFormat,
  type TagFormat,
} from './decode-tag.js';
export {
  RfidDecodeError,
  type RfidDecodeErrorCode,
  type RfidDecodeResult,
  RfidEncodeError,
  type RfidEncodeErrorCode,
  type RfidWarning,
  type RfidWarningCode,
} from './errors.js';
export { compactIsil, expandIsil } from './isil-compaction.js';
export {
  ITEM_TAG_DSFID,
  type ItemTagSpec,
  itemTagAfi,
  itemTagFields,
  itemTagId,
  itemTagMemory,
  itemTagProblem,
  itemTagSecured,
  SECURED_AFI,
  UNSECURED_AFI,
} from './item-tag.js';
export { decodeItemTag, type ItemTagView, isPatronCard, PATRON_CARD_USAGE } from './item-view.js';
export {
  decodeIso28560Part2,
  type Iso28560Part2Fields,
  type Part2DecodeOptions,
  type Part2Element,
  parseSetInformation,
  type SetInformation,
} from './part2.js';
export {
  contentParameterBitmap,
  contentParameterOids,
  PART2_ELEMENT_BY_FIELD,
  PART2_ELEMENT_BY_OID,
  PART2_ELEMENTS,
  type Part2ElementName,
  type Part2ElementSpec,
  type Part2TextElementName,
  type Part2ValueKind,
} from './part2-elements.js';
export {
  encodeIso28560Part2,
  encodeIso28560Part2Elements,
  type Iso28560Part2Input,
  type Part2ElementInput,
  type Part2EncodeOptions,
  type Part2WriteOptions,
  part2ElementsOf,
} from './part2-encode.js';
export {
  decodeIso28560Part3,
  encodeIso28560Part3,
  hasValidPart3Crc,
  type Iso28560Part3Fields,
  type Iso28560Part3Input,
  isilOf,
  type Part3EncodeOptions,
  type Part3Layout,
  part3Crc,
} from './part3.js';
export {
  ACQUISITION_EXTENSION_ID,
  type AcquisitionExtension,
  decodePart3Extensions,
  encodePart3Extension,
  LIBRARY_EXTENSION_ID,
  type LibraryExtension,
  type Part3Extension,
  type Part3ExtensionInput,
  type UnknownExtension,
} from './part3-extensions.js';
export {
  decode3mTag,
  encode3mTag,
  isThreeMBlank,
  looksLikeThreeM,
  type ThreeMFields,
  type ThreeMInput,
} from './three-m.js';
export {
  decodeIso28560Part4,
  decodeUhfUserMemory,
  decodeUrnCode40,
  encodeUrnCode40,
  type Iso28560Part4Fields,
  type UhfTagMemory,
  USER_MEMORY_DSFID,
} from './uhf.js';
export {
  MEDIA_FORMATS,
  mediaFormatName,
  resolveTypeOfUsage,
  TYPE_OF_USAGE_CLASS,
  type TypeOfUsage,
  type TypeOfUsageInput,
  type TypeOfUsageName,
  typeOfUsage,
  WRITABLE_TYPES_OF_USAGE,
} from './usage.js';
