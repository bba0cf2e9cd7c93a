/**
 * What the ILS says about an item that passed a gate: asked with item information (SIP2 17),
 * remembered for a while in a bounded LRU cache. A decision (policy `ils`) always asks afresh —
 * an item checked out a minute ago must not alarm from an old answer — and its answer fills the
 * cache; the alarm's enrichment takes what is cached if it is recent enough. Lookups of one item
 * at once share one request, and only so many run at once: a crowd at the gate while the ILS is
 * slow never piles up requests.
 */
import type { Clock } from '../../../core/clock.js';
import { CarrelError } from '../../../core/errors.js';
import { ilsDate, itemInformationResult } from '../../circulation/mapping.js';
import { CirculationRefusal } from '../../circulation/reasons.js';

/** What the gate desk is told about an item; item data only (item information names no patron). */
export interface ItemFacts {
  item: string;
  /** Whether the ILS knows the item. */
  known: boolean;
  title: string | null;
  /** The call number, where the ILS sends one (the `CS` extension); a location is not one. */
  callNumber: string | null;
  /** Where the item belongs (AQ), a location code such as `MAIN`. */
  permanentLocation: string | null;
  circulationStatus: string | null;
  /** ISO 8601 when readable, else the ILS's text; null when not on loan. */
  dueDate: string | null;
  /** Charged to someone: it may leave the building. */
  checkedOut: boolean;
}

/** Asks the ILS about one item; rejects when it cannot answer. */
export type ItemSource = (item: string) => Promise<ItemFacts>;

export interface ItemLookupOptions {
  /** Items remembered at most. Default 500. */
  size?: number;
  /** An answer is reused for this long. Default 60 s. */
  ttlMs?: number;
  /** Lookups running at once; more are refused (`ils_busy`) rather than queued. Default 16. */
  maxInFlight?: number;
}

/** Circulation statuses under which an item is charged to a patron (SIP2 2.00 fixed field). */
const CHARGED = new Set(['charged', 'chargedNotToBeRecalled', 'recalled']);

export class ItemLookup {
  /** Answers by item; `at` is monotonic, so a wall clock stepped back does not keep them past their TTL. */
  private readonly cache = new Map<string, { facts: ItemFacts; at: number }>();
  private readonly inFlight = new Map<string, Promise<ItemFacts>>();
  private readonly size: number;
  private readonly ttlMs: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly source: ItemSource,
    private readonly clock: Clock,
    options: ItemLookupOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 500);
    this.ttlMs = Math.max(0, options.ttlMs ?? 60_000);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 16);
  }

  /** The ILS's answer now (one already on its way is as fresh); it is remembered. */
  fresh(item: string): Promise<ItemFacts> {
    const running = this.inFlight.get(item);
    if (running) return running;
    if (this.inFlight.size >= this.maxInFlight)
      return Promise.reject(new CarrelError('ils_busy', 'too many item lookups at once'));
    const lookup = this.source(item).then((facts) => {
      this.remember(item, facts);
      return facts;
    });
    this.inFlight.set(item, lookup);
    const done = () => this.inFlight.delete(item);
    lookup.then(done, done);
    return lookup;
  }

  /** A remembered answer younger than the TTL, else a fresh one. */
  recent(item: string): Promise<ItemFacts> {
    const cached = this.cache.get(item);
    if (cached && this.clock.monotonic() - cached.at < this.ttlMs) {
      // Most recently used last: the oldest use goes first when the cache is full.
      this.cache.delete(item);
      this.cache.set(item, cached);
      return Promise.resolve(cached.facts);
    }
    return this.fresh(item);
  }

  /** Items remembered now. */
  get cached(): number {
    return this.cache.size;
  }

  private remember(item: string, facts: ItemFacts): void {
    this.cache.delete(item);
    this.cache.set(item, { facts, at: this.clock.monotonic() });
    while (this.cache.size > this.size) this.cache.delete(this.cache.keys().next().value!);
  }
}

type ItemInformationAnswer = Parameters<typeof itemInformationResult>[0];

/**
 * An item information answer (SIP2 18) as the gate desk's facts. An item the ILS does not know is
 * `known: false` (not charged). The call number comes from the `CS` extension field where the ILS
 * sends one (Koha, Evergreen); SIP2 2.00 has no field of its own for it, so without CS there is
 * none. The permanent location (AQ, where the item belongs) is its own fact, never a call number.
 */
export function itemFactsOf(item: string, answer: ItemInformationAnswer, timeZone?: string): ItemFacts {
  const callNumberField = answer.extraFields?.find((field) => field.id === 'CS')?.value?.trim();
  const permanentLocation = answer.permanentLocation?.trim() || null;
  try {
    const view = itemInformationResult(answer, { timeZone }).item;
    const status = view.status ?? null;
    const due = answer.dueDate?.trim() ? ilsDate(answer.dueDate, { timeZone }) : undefined;
    return {
      item,
      known: true,
      title: view.title.trim() || null,
      callNumber: callNumberField || null,
      permanentLocation,
      circulationStatus: status,
      dueDate: due ? (due.date ?? due.text) : null,
      checkedOut: status !== null && CHARGED.has(status),
    };
  } catch (error) {
    if (!(error instanceof CirculationRefusal) || error.reason !== 'item_not_found') throw error;
    return {
      item,
      known: false,
      title: null,
      callNumber: null,
      permanentLocation: null,
      circulationStatus: null,
      dueDate: null,
      checkedOut: false,
    };
  }
}
