import type { Clock, TimerHandle } from '../../core/clock.js';

/** Where a trouble comes from; each source holds one reason at a time. */
export type TroubleSource = 'self-check' | 'stacker' | 'jam' | 'tamper' | 'journal';

/**
 * Why a cash device is not fit for work, by source: a self-check fault, the
 * cash box, a jam, a tamper attempt (held for a while), a journal that cannot
 * write. Any trouble makes the device degraded; `changed` is told of every change.
 */
export class CashTroubles {
  private readonly reasons = new Map<TroubleSource, string>();
  private tamperTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly name: string,
    private readonly changed: () => void,
  ) {}

  has(source: TroubleSource): boolean {
    return this.reasons.has(source);
  }

  /** All reasons in one line, or null when there is no trouble. */
  reason(): string | null {
    return this.reasons.size > 0 ? [...this.reasons.values()].join('; ') : null;
  }

  set(source: TroubleSource, reason: string): void {
    if (this.reasons.get(source) === reason) return;
    this.reasons.set(source, reason);
    this.changed();
  }

  /** Clears the sources given; true when any was set. */
  clear(...sources: TroubleSource[]): boolean {
    const cleared = sources.map((source) => this.reasons.delete(source)).some(Boolean);
    if (cleared) this.changed();
    return cleared;
  }

  /** A tamper attempt: degraded for `holdMs`, then clear unless another comes. */
  tamper(what: string, holdMs: number): void {
    this.set('tamper', `tamper detected: ${what}`);
    this.tamperTimer?.cancel();
    this.tamperTimer = this.clock.setTimeout(`cash-tamper:${this.name}`, () => this.clear('tamper'), holdMs);
  }

  stop(): void {
    this.tamperTimer?.cancel();
  }
}
