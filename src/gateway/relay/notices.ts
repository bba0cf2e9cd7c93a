/**
 * Advice for IT about a self-check's settings (it sends sequence numbers without checksums, it is
 * asked again with 96 request after request), logged once per account and kind an hour — not per
 * request, nor per connection of a self-check that connects for each transaction. Shared by the
 * relay's connections; keyed by what the advice is about, never by patron data.
 */
import type { Clock } from '../../core/clock.js';

export const NOTICE_WINDOW_MS = 60 * 60_000;
/** Keys remembered at once (accounts × kinds); past this the oldest are forgotten. */
const MAX_NOTICES = 1024;

export class RelayNotices {
  /** When each notice was last given (monotonic ms), oldest first. */
  private readonly given = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = NOTICE_WINDOW_MS,
  ) {}

  /** Whether notice `key` is due — not given within the window — and, if so, noted as given now. */
  due(key: string): boolean {
    const now = this.clock.monotonic();
    const at = this.given.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.given.delete(key);
    if (this.given.size >= MAX_NOTICES) {
      const oldest = this.given.keys().next().value;
      if (oldest !== undefined) this.given.delete(oldest);
    }
    this.given.set(key, now);
    return true;
  }
}
