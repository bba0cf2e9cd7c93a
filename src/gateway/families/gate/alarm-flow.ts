/**
 * What happens to a tag read at a gate: the decision (alarms.ts), and for each alarm the
 * `gate.alarm` event first — before anything is written, asked or counted — then its line in the alarm
 * history, then, off the hot path, what the ILS says about the item (`gate.alarm_enriched`, and
 * the title in the history) — or, when it cannot be asked or does not answer in time, that it
 * will not say (`gate.alarm_not_enriched`, with why in words), so no page waits for a title that
 * is not coming. With a policy that asks the ILS the alarm waits for its answer, at
 * most `ilsTimeoutMs`; without one the tag's own AFI decides, and the alarm says so. Nothing
 * here throws at the driver: a failure is logged and the next read is handled as usual.
 */
import { type Clock, withDeadline } from '../../../core/clock.js';
import { CarrelError, describeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { GateTagRead } from '../../../devices/gate/index.js';
import { type GateAlarmHistory, ITEM_LOOKUP_MISS_WORDS, type ItemLookupMiss } from './alarm-history.js';
import { type GateAlarms, type IlsQuestion, isIlsQuestion } from './alarms.js';
import type { GateAlarmEnrichedEvent, GateAlarmEvent, GateAlarmNotEnrichedEvent } from './events.js';
import type { ItemFacts, ItemLookup } from './item-lookup.js';

/** Alarms kept in memory for the gate's status. */
const RECENT_ALARMS = 50;
/**
 * How long the enrichment waits, for an ILS link with these timeouts: a new connection (connect,
 * 93 login) and the request, each in its own time, and a second more — so the ILS client's own
 * timeout, which says why, comes first, and this deadline only ends a wait in its queue.
 */
export function enrichmentDeadlineMs(ils: { connectTimeoutMs: number; requestTimeoutMs: number }): number {
  return ils.connectTimeoutMs + 2 * ils.requestTimeoutMs + 1000;
}

/** Why an alarm's item could not be asked about, by the error's code. */
function notEnrichedReason(code: string | undefined): ItemLookupMiss {
  switch (code) {
    case 'ils_timeout':
      return 'no_answer';
    case 'ils_offline':
    case 'ils_connection_lost':
    case 'unavailable':
      return 'unreachable';
    case 'ils_busy':
      return 'busy';
    default:
      return 'failed';
  }
}

export interface GateAlarmFlowOptions {
  gate: string;
  alarms: GateAlarms;
  items: ItemLookup;
  /** How long a decision waits for the ILS. */
  ilsTimeoutMs: number;
  /**
   * Whether the desk has an ILS to ask about an alarm's item; none means no enrichment is
   * tried (no warning that the ILS did not answer; `gate.alarm_not_enriched` at once). Default: yes.
   */
  hasIls?: () => boolean;
  /** How long the enrichment waits for the ILS (`enrichmentDeadlineMs` of its link). */
  enrichmentDeadlineMs: () => number;
  clock: Clock;
  logger: Logger;
  /** The history, when the database is open. */
  history: () => GateAlarmHistory | undefined;
  alarm(event: GateAlarmEvent): void;
  /** The alarm is in `recent` and `count` (each taken once the alarm is out). */
  counted?(): void;
  enriched(event: GateAlarmEnrichedEvent): void;
  /** The ILS was not asked, or did not answer in time: no title is coming. */
  notEnriched(event: GateAlarmNotEnrichedEvent): void;
}

export class GateAlarmFlow {
  readonly recent: GateAlarmEvent[] = [];
  count = 0;
  private running = true;
  private ilsFailing = false;

  constructor(private readonly options: GateAlarmFlowOptions) {}

  /** Raises alarms (again, after a stop). */
  start(): void {
    this.running = true;
  }

  /** Stops raising alarms from answers still on their way. */
  stop(): void {
    this.running = false;
  }

  read(read: GateTagRead): void {
    const verdict = this.options.alarms.consider(read);
    try {
      if (!verdict) return;
      if (isIlsQuestion(verdict)) void this.ask(verdict);
      else this.raise(verdict, undefined);
    } finally {
      // What the decision keeps for the next reads, made once the alarm is out (or the question asked).
      this.options.alarms.settle();
    }
  }

  private async ask(question: IlsQuestion): Promise<void> {
    const { clock, gate, ilsTimeoutMs } = this.options;
    let facts: ItemFacts;
    try {
      facts = await withDeadline(
        clock,
        `gate:${gate}:ils-decision`,
        this.options.items.fresh(question.ask, ilsTimeoutMs),
        ilsTimeoutMs,
        () => new CarrelError('ils_timeout', `the ILS did not answer within ${ilsTimeoutMs} ms`),
      );
      this.ilsAnswered();
    } catch (error) {
      this.ilsUnanswered(error, 'gate alarm decided without the ILS');
      if (question.fallback) this.raise(question.fallback, undefined);
      return;
    }
    if (!facts.checkedOut) this.raise(question.ifNotCharged, facts);
  }

  private raise(alarm: GateAlarmEvent, known: ItemFacts | undefined): void {
    if (!this.running) return;
    this.options.alarm(alarm);
    this.count++;
    this.recent.unshift(alarm);
    if (this.recent.length > RECENT_ALARMS) this.recent.pop();
    this.options.counted?.();
    const item = alarm.item?.id;
    // What the lookup comes to, when that is known now: written with the alarm, in its one row.
    const noIls = item !== undefined && !known && this.options.hasIls?.() === false;
    try {
      this.options.history()?.record(alarm, known ?? (noIls ? 'no_ils' : undefined));
    } catch (error) {
      this.options.logger.error({ err: describeError(error) }, 'gate alarm not written to the history');
    }
    if (!item) return;
    if (known) this.announceEnriched(alarm, known);
    else if (noIls) this.announceNotEnriched(alarm, item, 'no_ils', alarm.time);
    else void this.enrich(alarm, item);
  }

  private async enrich(alarm: GateAlarmEvent, item: string): Promise<void> {
    let facts: ItemFacts;
    try {
      const deadlineMs = this.options.enrichmentDeadlineMs();
      facts = await withDeadline(
        this.options.clock,
        `gate:${this.options.gate}:enrichment`,
        this.options.items.recent(item, deadlineMs),
        deadlineMs,
        () => new CarrelError('ils_timeout', `the ILS did not answer about the item within ${deadlineMs} ms`),
      );
    } catch (error) {
      this.ilsUnanswered(error, 'gate alarm not enriched');
      this.notEnriched(alarm, item, notEnrichedReason(describeError(error).code));
      return;
    }
    this.ilsAnswered();
    this.enriched(alarm, facts);
  }

  private notEnriched(alarm: GateAlarmEvent, item: string, reason: ItemLookupMiss): void {
    if (!this.running) return;
    try {
      this.options.history()?.unanswered(alarm.id, reason);
    } catch (error) {
      this.options.logger.error({ err: describeError(error) }, 'gate alarm lookup not written');
    }
    this.announceNotEnriched(alarm, item, reason);
  }

  private announceNotEnriched(
    alarm: GateAlarmEvent,
    item: string,
    reason: ItemLookupMiss,
    time?: string,
  ): void {
    this.options.notEnriched({
      alarm: alarm.id,
      item,
      reason,
      message: ITEM_LOOKUP_MISS_WORDS[reason],
      time: time ?? new Date(this.options.clock.now()).toISOString(),
    });
  }

  private enriched(alarm: GateAlarmEvent, facts: ItemFacts): void {
    if (!this.running) return;
    try {
      this.options.history()?.answered(alarm.id, facts);
    } catch (error) {
      this.options.logger.error({ err: describeError(error) }, 'gate alarm title not written');
    }
    this.announceEnriched(alarm, facts);
  }

  private announceEnriched(alarm: GateAlarmEvent, facts: ItemFacts): void {
    this.options.enriched({
      alarm: alarm.id,
      item: facts.item,
      known: facts.known,
      title: facts.title,
      callNumber: facts.callNumber,
      permanentLocation: facts.permanentLocation,
      circulationStatus: facts.circulationStatus,
      dueDate: facts.dueDate,
      checkedOut: facts.checkedOut,
      time: new Date(this.options.clock.now()).toISOString(),
    });
  }

  private ilsAnswered(): void {
    if (this.ilsFailing) this.options.logger.info('the ILS answers about gate alarms again');
    this.ilsFailing = false;
  }

  /** One warning when the ILS stops answering, then quiet (debug) until it answers again. */
  private ilsUnanswered(error: unknown, message: string): void {
    const described = describeError(error);
    if (this.ilsFailing) this.options.logger.debug({ code: described.code }, message);
    else this.options.logger.warn({ code: described.code, reason: described.message }, message);
    this.ilsFailing = true;
  }
}
