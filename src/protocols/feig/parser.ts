/**
 * A bounded, incremental FEIG frame parser (STYLE 4): STX, then ALEN, the whole frame's
 * length, and the CRC checked by the codec. The scan and the resync are the shared
 * LengthFramer's.
 */
import { type LengthFramedItem, LengthFramer } from '../length-framer.js';
import { FeigFrameError } from './errors.js';
import {
  decodeFeigFrame,
  FEIG_DEFAULT_MAX_FRAME,
  FEIG_MIN_FRAME,
  FEIG_STX,
  type FeigFrame,
} from './frame.js';

export type FeigParseItem = LengthFramedItem<FeigFrame, FeigFrameError>;

export class FeigFrameParser extends LengthFramer<FeigFrame, FeigFrameError> {
  constructor(options: { maxFrame?: number } = {}) {
    super(
      {
        isStart: (byte) => byte === FEIG_STX,
        uncounted: 0,
        minFrame: FEIG_MIN_FRAME,
        defaultMaxFrame: FEIG_DEFAULT_MAX_FRAME,
        decode: decodeFeigFrame,
        error: (kind, message) => new FeigFrameError(`feig_${kind}`, message),
        badLength: (field) => `impossible frame length ${field}`,
      },
      options,
    );
  }
}
