/**
 * `carrel doctor`'s vocabulary: one check, one line — what was looked at, how it
 * came out, and what to do about it. A family may bring checks of its own
 * devices (the ILS: login, 98 status, clock skew) through its `doctor` hook.
 */
import type { Clock } from '../core/clock.js';
import type { SimulatorAddressBook } from './family.js';

export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  /** What was checked: "ILS ils login", "HTTP port 8480". */
  name: string;
  status: DoctorStatus;
  /** What was found, in plain words. Never a password, token or patron id. */
  detail: string;
  /** What to do about a warn or a fail. */
  hint?: string;
}

/** What a family's doctor hook is given. */
export interface DoctorContext {
  clock: Clock;
  /** Where the desk's configured simulators listen (doctor starts them, as the desk would). */
  simulators: SimulatorAddressBook;
  /** How long one exchange with a device may take. */
  timeoutMs: number;
}

export function doctorCheck(name: string, status: DoctorStatus, detail: string, hint?: string): DoctorCheck {
  return hint === undefined ? { name, status, detail } : { name, status, detail, hint };
}
