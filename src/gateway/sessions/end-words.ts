import type { SessionEndReason, SessionMode } from '../contracts/sessions.js';

/**
 * Why a session ended, in words a kiosk can show (its `endReason` says it for a program): a
 * patron who walked away is told what stays done, and that what still waited on the pad was not.
 */
export function endWords(reason: SessionEndReason, mode: SessionMode, inactivityMs: number): string {
  const done = mode === 'checkout' ? 'checked out' : 'returned';
  const rest = `the items ${done} in it stay ${done}; anything still waiting on the pad was not ${done}`;
  switch (reason) {
    case 'timeout':
      return `The session ended after ${duration(inactivityMs)} with nothing happening: ${rest}.`;
    case 'cancelled':
      return `The session was cancelled: ${rest}.`;
    case 'shutdown':
      return `The session ended because Carrel stopped: ${rest}.`;
    case 'ended':
      return 'The session was ended.';
  }
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 60 && seconds % 60 === 0) {
    const minutes = seconds / 60;
    return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  }
  return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
}
