/**
 * What the ILS says about an item that passed a gate: asked with item information (SIP2 17),
 * remembered for a while in a bounded LRU cache. A decision (policy `ils`) always asks afresh —
 * an item checked out a minute ago must not alarm from an old answer — and its answer fills the
 * cache; the alarm's enrichment takes what is cached if it is recent enough. Lookups of one item
 * at once share one request, and only so many run at once: the others wait their turn in a
 * bounded queue (an armful of books carried out is one alarm each, all named), and one whose
 * caller has stopped waiting for it is given up unasked — a crowd at the gate while the ILS is
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
  /** Lookups running at once; more wait their turn. Default 16. */
  maxInFlight?: number;
  /** Lookups waiting their turn at most; more are refused (`ils_busy`). Default 500. */
  maxQueued?: number;
}

/** A lookup waiting for its turn; given up unasked once `giveUpAt` (monotonic) has passed. */
interface QueuedLookup {
  item: string;
  giveUpAt: number;
  resolve: (facts: ItemFacts) => void;
  reject: (error: unknown) => void;
}

/** Circulation statuses under which an item is charged to a patron (SIP2 2.00 fixed field). */
const CHARGED = new Set(['charged', 'chargedNotToBeRecalled', 'recalled']);

export class ItemLookup {
  /** Answers by item; `at` is monotonic, so a wall clock stepped back does not keep them past their TTL. */
  private readonly cache = new Map<string, { facts: ItemFacts; at: number }>();
  /** Lookups asked or waiting their turn, by item: a second lookup of one item shares the first. */
  private readonly pending = new Map<string, Promise<ItemFacts>>();
  private readonly queue: QueuedLookup[] = [];
  private running = 0;
  private readonly size: number;
  private readonly ttlMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;

  constructor(
    private readonly source: ItemSource,
    private readonly clock: Clock,
    options: ItemLookupOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 500);
    this.ttlMs = Math.max(0, options.ttlMs ?? 60_000);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 16);
    this.maxQueued = Math.max(0, options.maxQueued ?? 500);
  }

  /**
   * The ILS's answer now (one already on its way, or waiting its turn, is as fresh); it is
   * remembered. `waitMs`: how long the caller waits for it — a lookup still waiting its turn
   * after that is not asked (its caller has gone on without it) and rejects with `ils_timeout`.
   */
  fresh(item: string, waitMs = Number.POSITIVE_INFINITY): Promise<ItemFacts> {
    const pending = this.pending.get(item);
    if (pending) return pending;
    let lookup: Promise<ItemFacts>;
    if (this.running < this.maxInFlight) lookup = this.ask(item);
    else if (this.queue.length < this.maxQueued)
      lookup = new Promise((resolve, reject) =>
        this.queue.push({ item, giveUpAt: this.clock.monotonic() + waitMs, resolve, reject }),
      );
    else return Promise.reject(new CarrelError('ils_busy', 'too many item lookups waiting'));
    this.pending.set(item, lookup);
    const done = () => {
      if (this.pending.get(item) === lookup) this.pending.delete(item);
    };
    lookup.then(done, done);
    return lookup;
  }

  /** A remembered answer younger than the TTL, else a fresh one (`waitMs` as for `fresh`). */
  recent(item: string, waitMs?: number): Promise<ItemFacts> {
    const cached = this.cache.get(item);
    if (cached && this.clock.monotonic() - cached.at < this.ttlMs) {
      // Most recently used last: the oldest use goes first when the cache is full.
      this.cache.delete(item);
      this.cache.set(item, cached);
      return Promise.resolve(cached.facts);
    }
    return this.fresh(item, waitMs);
  }

  /** Lookups waiting their turn now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Items remembered now. */
  get cached(): number {
    return this.cache.size;
  }

  /** Asks the ILS now; when it answers (or fails), the next lookup waiting its turn is asked. */
  private ask(item: string): Promise<ItemFacts> {
    this.running++;
    let asked: Promise<ItemFacts>;
    try {
      asked = this.source(item);
    } catch (error) {
      asked = Promise.reject(error);
    }
    const lookup = asked.then((facts) => {
      this.remember(item, facts);
      return facts;
    });
    const next = () => {
      this.running--;
      this.askNext();
    };
    lookup.then(next, next);
    return lookup;
  }

  /** The next lookup waiting whose caller still waits for it; those given up meanwhile are not asked. */
  private askNext(): void {
    while (this.running < this.maxInFlight) {
      const waiting = this.queue.shift();
      if (!waiting) return;
      if (this.clock.monotonic() > waiting.giveUpAt) {
        waiting.reject(
          new CarrelError('ils_timeout', 'the item lookup waited its turn longer than it was wanted'),
        );
        continue;
      }
      this.ask(waiting.item).then(waiting.resolve, waiting.reject);
    }
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
