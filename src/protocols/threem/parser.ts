/**
 * A bounded, incremental 3M 810 frame parser (STYLE 4): a start of frame (command or probe),
 * then the length of what follows it, and the CRC checked by the codec. The scan is the
 * shared LengthFramer's.
 */
import { type LengthFramedItem, LengthFramer } from '../length-framer.js';
import { ThreeMFrameError } from './errors.js';
import {
  decodeThreeMFrame,
  THREEM_DEFAULT_MAX_FRAME,
  THREEM_MIN_FRAME,
  THREEM_SOF,
  type ThreeMFrame,
} from './frame.js';

export type ThreeMParseItem = LengthFramedItem<ThreeMFrame, ThreeMFrameError>;

export class ThreeMFrameParser extends LengthFramer<ThreeMFrame, ThreeMFrameError> {
  constructor(options: { maxFrame?: number } = {}) {
    super(
      {
        isStart: (byte) => byte === THREEM_SOF.command || byte === THREEM_SOF.probe,
        // The length counts what follows the start and the two length bytes.
        uncounted: 3,
        minFrame: THREEM_MIN_FRAME,
        defaultMaxFrame: THREEM_DEFAULT_MAX_FRAME,
        decode: decodeThreeMFrame,
        error: (kind, message) => new ThreeMFrameError(`threem_${kind}`, message),
        badLength: (field) => `impossible length ${field}`,
      },
      options,
    );
  }
}
