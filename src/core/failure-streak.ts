/**
 * A failure that goes on and on — a receipt printer switched off overnight, the
 * ILS in its nightly maintenance window, a reader unplugged for a week — is said
 * in the log when it starts, when it changes, and every `remindMs` while it
 * lasts; the attempts between are for the debug level. A desk with its devices
 * off at night otherwise wrote a warning per device every few seconds until
 * morning (tens of thousands of lines, and journald's rate limit then drops the
 * lines that matter).
 */
import type { Clock } from './clock.js';

/** Ten minutes: often enough that a glance at the log shows it is still failing. */
export const FAILURE_REMINDER_MS = 10 * 60_000;

export interface FailureNote {
  /** Say it (warn): the first failure, another failure than before, or a reminder. */
  say: boolean;
  /** True when this is a reminder of a failure said before. */
  reminder: boolean;
  /** Failed attempts in this streak, this one included. */
  attempts: number;
  /** When the streak began (epoch ms). */
  since: number;
}

export class FailureStreak {
  private current:
    | {
        code: string;
        message: string;
        /** Wall time, as the log shows it. */
        since: number;
        attempts: number;
        /** When it was last said (monotonic ms): NTP stepping the wall clock neither hastens nor holds back a reminder. */
        saidAt: number;
      }
    | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'monotonic'>,
    private readonly remindMs = FAILURE_REMINDER_MS,
  ) {}

  /** One more failed attempt: whether to say it. */
  failed(code: string, message: string): FailureNote {
    const now = this.clock.now();
    const elapsed = this.clock.monotonic();
    const current = this.current;
    if (!current || current.code !== code || current.message !== message) {
      this.current = { code, message, since: now, attempts: 1, saidAt: elapsed };
      return { say: true, reminder: false, attempts: 1, since: now };
    }
    current.attempts++;
    const remind = elapsed - current.saidAt >= this.remindMs;
    if (remind) current.saidAt = elapsed;
    return { say: remind, reminder: remind, attempts: current.attempts, since: current.since };
  }

  /** The streak is over (connected): how long it lasted, or undefined when there was none. */
  ended(): { attempts: number; since: number } | undefined {
    const current = this.current;
    this.current = undefined;
    return current && { attempts: current.attempts, since: current.since };
  }
}
