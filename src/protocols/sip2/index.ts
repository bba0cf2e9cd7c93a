/** SIP2 2.00: a pure, table-driven codec. */

export { decodeSip2Text, encodeSip2Text, SIP2_CHARSETS, type Sip2Charset, transliterate } from './charset.js';
export {
  nextSequence,
  sip2Checksum,
  sip2ChecksumValue,
  verifySip2Checksum,
} from './checksum.js';
export { Sip2Codec, type Sip2CodecOptions } from './codec.js';
export {
  formatSip2Date,
  isSip2DateShape,
  parseSip2Date,
  processTimeZone,
  SIP2_DATE_LENGTH,
  type Sip2DateOptions,
  type Sip2DateZone,
  type Sip2ParsedDate,
} from './date.js';
export { decodeSip2Message, type Sip2DecodeOptions } from './decode.js';
export { encodeSip2Body, encodeSip2Message, MAX_FIELD_LENGTH, type Sip2EncodeOptions } from './encode.js';
export {
  ALERT_TYPE,
  type AlertType,
  CIRCULATION_STATUS,
  type CirculationStatus,
  enumValueOf,
  FEE_TYPE,
  type FeeType,
  HOLD_MODE,
  HOLD_TYPE,
  type HoldMode,
  type HoldType,
  LANGUAGE,
  type Language,
  MEDIA_TYPE,
  type MediaType,
  PAYMENT_TYPE,
  type PaymentType,
  SC_STATUS,
  SECURITY_MARKER,
  type SecurityMarker,
  SIP2_ENUMS,
  type Sip2EnumInput,
  type Sip2EnumKind,
  type Sip2EnumName,
  type Sip2EnumTable,
  type Sip2EnumValue,
} from './enums.js';
export {
  Sip2DecodeError,
  type Sip2DecodeErrorCode,
  type Sip2DecodeResult,
  Sip2EncodeError,
  type Sip2EncodeErrorCode,
  Sip2FrameError,
  type Sip2Warning,
  type Sip2WarningCode,
} from './errors.js';
export {
  FIELD_TOO_LONG_MESSAGE,
  type FittedSip2Answer,
  fieldsTooLongInWords,
  fitSip2Answer,
  oversizedFields,
} from './field-limits.js';
export {
  FIELD_ID_BY_NAME,
  SIP2_FIELDS,
  type Sip2FieldId,
  type Sip2FieldName,
  sip2FieldInWords,
} from './fields.js';
export {
  PATRON_STATUS_FLAGS,
  type PatronStatus,
  type PatronStatusFlag,
  SUMMARY_ITEMS,
  SUPPORTED_MESSAGE_FLAGS,
  type SummaryItems,
  type SupportedMessage,
  type SupportedMessages,
} from './flags.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  Sip2Framer,
  type Sip2FramerEvent,
  type Sip2FramerOptions,
} from './framer.js';
export { type MaskOptions, maskFrame, maskFrameForLog } from './mask.js';
export {
  type FixedFieldSpec,
  type FixedKind,
  MESSAGE_TYPE_BY_CODE,
  type MessageSpec,
  SIP2_MESSAGES,
  type Sip2MessageSpec,
  type Sip2MessageType,
} from './messages.js';
export { isValidPatron, isValidPatronPassword, patronStatusProblems } from './patron.js';
export { type Sip2RefusalContext, sip2Refusal } from './refusal.js';
export type {
  AnySip2Message,
  AnySip2MessageInput,
  Sip2ExtraField,
  Sip2Message,
  Sip2MessageInput,
} from './types.js';
export { reframeSip2Body, type Sip2ReframeOptions, type Sip2VerbatimBody } from './verbatim.js';
