import { describeError } from '../../core/errors.js';
import { CirculationRefusal } from '../circulation/reasons.js';

/**
 * What the ILS answered in words: the stable reason and its screen messages; for an item that
 * failed (no refusal: the library system away, its answer lost, the offline journal refusing it),
 * what went wrong in words, as the circulation routes' problem says it (`detail`).
 */
export function outcomeOf(error: unknown): {
  state: 'refused' | 'fee_required' | 'failed';
  reason: string;
  words: string[];
  message?: string;
} {
  if (error instanceof CirculationRefusal) {
    return {
      state: error.reason === 'fee_required' ? 'fee_required' : 'refused',
      reason: error.reason,
      words: [...error.screenMessages],
    };
  }
  const { code, message } = describeError(error);
  return { state: 'failed', reason: code, words: [], message };
}
