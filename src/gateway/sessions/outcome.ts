import { describeError } from '../../core/errors.js';
import { CirculationRefusal } from '../circulation/reasons.js';

/** What the ILS answered in words: the stable reason and its screen messages. */
export function outcomeOf(error: unknown): {
  state: 'refused' | 'fee_required' | 'failed';
  reason: string;
  words: string[];
} {
  if (error instanceof CirculationRefusal) {
    return {
      state: error.reason === 'fee_required' ? 'fee_required' : 'refused',
      reason: error.reason,
      words: [...error.screenMessages],
    };
  }
  const { code } = describeError(error);
  return { state: 'failed', reason: code, words: [] };
}
