import { CarrelError } from '../../core/errors.js';

/** A statistics query the desk will not answer: a range that is empty, inverted, unreadable or too long. */
export class StatisticsRangeError extends CarrelError {
  constructor(message: string) {
    super('statistics_range_invalid', message);
  }
}
