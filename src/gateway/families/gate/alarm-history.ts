/**
 * The alarm history of one gate, in SQLite: when, which way, which item (and what the ILS said of
 * it — its title, call number and status, or that it does not know it — or why it said nothing),
 * why, and which member of staff acknowledged it and when. Items only: a patron
 * card never alarms, so no patron is ever written here. All gates share one table; each store
 * reads and writes its own gate's rows. Pages go newest first, by (time, id), so a page boundary
 * holds even as new alarms arrive.
 */
import type { Database, Statement } from '../../storage/index.js';
import { migrate, StatementCache } from '../../storage/index.js';
import type { GateAlarmEvent, GateAlarmNotEnrichedEvent } from './events.js';

/** Why the ILS said nothing of an alarm's item, as `gate.alarm_not_enriched` says it. */
export type ItemLookupMiss = GateAlarmNotEnrichedEvent['reason'];

/** Why, in the words a desk reads (the `message` of `gate.alarm_not_enriched`). */
export const ITEM_LOOKUP_MISS_WORDS: Readonly<Record<ItemLookupMiss, string>> = {
  no_answer: 'the library system did not answer',
  unreachable: 'the library system cannot be reached',
  busy: 'the library system was too busy to ask',
  failed: 'the library system could not be asked about the item',
  no_ils: 'this desk has no library system to ask',
};

/**
 * Why the history has nothing of what the ILS said: one of the misses above; `not_kept` — an
 * alarm kept by a Carrel from before the lookup was kept (gate-alarms schema step 1) with no title:
 * the ILS did not know its item or did not answer, and that Carrel did not keep which; or
 * `interrupted` — Carrel stopped (a restart, a crash) while the lookup waited for the ILS, and the
 * Carrel started next found it so (`GateAlarmHistory.lookupsCut`).
 */
export type KeptLookupMiss = ItemLookupMiss | 'not_kept' | 'interrupted';

/** Why, in the words a desk reads, and what to do where nothing more will come. */
export const KEPT_LOOKUP_MISS_WORDS: Readonly<Record<KeptLookupMiss, string>> = {
  ...ITEM_LOOKUP_MISS_WORDS,
  not_kept: 'raised before Carrel kept what the library system said of each item: look the item up there',
  interrupted:
    'Carrel was restarted before the library system answered about the item: look the item up there',
};

/**
 * What the title lookup of an alarm's item came to, kept with the alarm so that a page opened later
 * says what a page open at the time said: the ILS answered (it knows the item or not, with its call
 * number and status), or it said nothing, and why.
 */
export type ItemLookupOutcome =
  | {
      answered: true;
      known: boolean;
      callNumber: string | null;
      permanentLocation: string | null;
      circulationStatus: string | null;
    }
  | { answered: false; reason: KeptLookupMiss; message: string };

export interface GateAlarmRecord {
  id: string;
  gate: string;
  time: string;
  direction: GateAlarmEvent['direction'];
  /** The item barcode the tag carries; null for a tag that could not be read. */
  item: string | null;
  uid: string | null;
  /** The title as the ILS gave it, once it has. */
  title: string | null;
  /** What the title lookup came to; null while it runs, and for an unreadable tag. */
  lookup: ItemLookupOutcome | null;
  reason: GateAlarmEvent['reason'];
  ils: GateAlarmEvent['ils'];
  acknowledged: { by: string; at: string } | null;
}

/** What the ILS said of an alarm's item, as the history keeps it. */
export interface LookupFacts {
  known: boolean;
  title: string | null;
  callNumber: string | null;
  permanentLocation: string | null;
  circulationStatus: string | null;
}

/** Where a page starts: below this alarm (newest first). */
export interface AlarmCursor {
  time: number;
  id: string;
}

export interface AlarmHistoryQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  limit: number;
  before?: AlarmCursor;
  /** Only alarms not yet acknowledged. */
  open?: boolean;
}

interface Row {
  id: string;
  gate: string;
  at: number;
  direction: string | null;
  item: string | null;
  uid: string | null;
  title: string | null;
  reason: string;
  ils: string | null;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  lookup: string | null;
  call_number: string | null;
  circulation_status: string | null;
  permanent_location: string | null;
}

/** `lookup` holds `known`, `unknown` (the ILS answered) or why it said nothing (`no_answer`…). */
const ANSWERED = { known: true, unknown: false } as const;

export const GATE_ALARM_MIGRATIONS = [
  `CREATE TABLE gate_alarms (
    id TEXT PRIMARY KEY,
    gate TEXT NOT NULL,
    at INTEGER NOT NULL,
    direction TEXT,
    item TEXT,
    uid TEXT,
    title TEXT,
    reason TEXT NOT NULL,
    ils TEXT,
    acknowledged_by TEXT,
    acknowledged_at INTEGER
  );
  CREATE INDEX gate_alarms_by_gate_time ON gate_alarms (gate, at, id);`,
  // What the title lookup came to, so that a page opened later says what the page said live. An
  // alarm with a title was answered by an ILS that knows its item; one without says nothing more.
  `ALTER TABLE gate_alarms ADD COLUMN lookup TEXT;
  ALTER TABLE gate_alarms ADD COLUMN call_number TEXT;
  ALTER TABLE gate_alarms ADD COLUMN circulation_status TEXT;
  UPDATE gate_alarms SET lookup = 'known' WHERE title IS NOT NULL;`,
  // Where the item belongs (AQ), beside its call number rather than in its place: step 2 kept the
  // location as the call number when the ILS sent no CS, and those rows cannot be told apart.
  'ALTER TABLE gate_alarms ADD COLUMN permanent_location TEXT;',
  // An alarm kept at step 1 with an item and no title (step 2 left its lookup empty, as if still
  // running, and the page then said 'the library system did not say'): what the ILS said of it
  // was not kept, and nothing more will come — said so, with what to do.
  "UPDATE gate_alarms SET lookup = 'not_kept' WHERE lookup IS NULL AND item IS NOT NULL AND title IS NULL;",
  // An alarm acknowledged on a desk without tokens was kept as by 'loopback' (Carrel's name for any
  // caller there); it reads "at this desk", as a card issued there does.
  "UPDATE gate_alarms SET acknowledged_by = 'at this desk' WHERE acknowledged_by = 'loopback';",
];

const COLUMNS = `id, gate, at, direction, item, uid, title, reason, ils, acknowledged_by, acknowledged_at,
  lookup, call_number, circulation_status, permanent_location`;
/** Titles are the ILS's text; a longer one is cut, never stored whole. */
const MAX_TITLE = 255;
/** Who acknowledged: a token's name. */
const MAX_NAME = 64;
/** A call number, a location or a circulation status, as the ILS gave it. */
const MAX_FACT = 64;

export class GateAlarmHistory {
  private readonly insert: Statement;
  private readonly setAnswer: Statement;
  private readonly setMiss: Statement;
  private readonly ack: Statement;
  private readonly byId: Statement;
  /** The queries whose text varies, or that run now and then (each parsed once, not per call). */
  private readonly queries: StatementCache;

  constructor(
    private readonly db: Database,
    private readonly gate: string,
  ) {
    migrate(db, 'gate-alarms', GATE_ALARM_MIGRATIONS);
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO gate_alarms (id, gate, at, direction, item, uid, reason, ils,
       title, lookup, call_number, circulation_status, permanent_location)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.setAnswer = db.prepare(
      `UPDATE gate_alarms SET title = ?, lookup = ?, call_number = ?, circulation_status = ?,
       permanent_location = ? WHERE id = ? AND gate = ?`,
    );
    this.setMiss = db.prepare('UPDATE gate_alarms SET lookup = ? WHERE id = ? AND gate = ?');
    this.ack = db.prepare(
      `UPDATE gate_alarms SET acknowledged_by = ?, acknowledged_at = ?
       WHERE id = ? AND gate = ? AND acknowledged_by IS NULL`,
    );
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM gate_alarms WHERE id = ? AND gate = ?`);
    this.queries = new StatementCache(db);
  }

  /**
   * Writes an alarm, with what its title lookup came to when that is known already (the ILS's
   * answer the decision waited for, or why it will not be asked): one row, one commit. Its commit
   * survives a crash of Carrel but waits for no fsync (relaxed durability): it comes between two
   * passages at the gate, where an fsync held up the next alarm by up to 8 ms at 50 passages/s; a
   * power cut may lose the last moments of the history, never an alarm sent.
   */
  record(alarm: GateAlarmEvent, lookup?: LookupFacts | ItemLookupMiss): void {
    const facts = typeof lookup === 'object' ? lookup : undefined;
    this.db.relaxedDurability(() =>
      this.insert.run(
        alarm.id,
        this.gate,
        Date.parse(alarm.time),
        alarm.direction,
        alarm.item?.id ?? null,
        alarm.uid,
        alarm.reason,
        alarm.ils,
        facts?.title?.slice(0, MAX_TITLE) ?? null,
        typeof lookup === 'object' ? (lookup.known ? 'known' : 'unknown') : (lookup ?? null),
        facts?.callNumber?.slice(0, MAX_FACT) ?? null,
        facts?.circulationStatus?.slice(0, MAX_FACT) ?? null,
        facts?.permanentLocation?.slice(0, MAX_FACT) ?? null,
      ),
    );
  }

  /** What the ILS said of the item of an alarm already recorded: its title, call number, location and status, or that it does not know it. */
  answered(id: string, facts: LookupFacts): void {
    this.db.relaxedDurability(() =>
      this.setAnswer.run(
        facts.title?.slice(0, MAX_TITLE) ?? null,
        facts.known ? 'known' : 'unknown',
        facts.callNumber?.slice(0, MAX_FACT) ?? null,
        facts.circulationStatus?.slice(0, MAX_FACT) ?? null,
        facts.permanentLocation?.slice(0, MAX_FACT) ?? null,
        id,
        this.gate,
      ),
    );
  }

  /**
   * Alarms of this gate whose title lookup was under way when Carrel stopped: no lookup of this
   * Carrel runs before its gate starts, so an item with nothing kept of its lookup is one the last
   * Carrel left waiting, and no answer will come for it. Each is kept as cut by the restart (the
   * page then says so, and to look the item up, instead of that the library system did not say);
   * returns how many. Called as the gate starts, before it raises an alarm.
   */
  lookupsCut(): number {
    return this.queries
      .get(
        "UPDATE gate_alarms SET lookup = 'interrupted' WHERE gate = ? AND lookup IS NULL AND item IS NOT NULL",
      )
      .run(this.gate).changes;
  }

  /** The ILS said nothing of the item of an alarm already recorded, and why. */
  unanswered(id: string, reason: ItemLookupMiss): void {
    this.db.relaxedDurability(() => this.setMiss.run(reason, id, this.gate));
  }

  get(id: string): GateAlarmRecord | undefined {
    const row = this.byId.get(id, this.gate) as Row | undefined;
    return row && toRecord(row);
  }

  /**
   * Marks an alarm acknowledged by `who` at `at` (epoch ms). The first acknowledgement stands:
   * acknowledging again answers the record as it is. Undefined when this gate has no such alarm.
   */
  acknowledge(id: string, who: string, at: number): GateAlarmRecord | undefined {
    this.ack.run(who.slice(0, MAX_NAME), at, id, this.gate);
    return this.get(id);
  }

  /** Alarms per UTC quarter hour (since the epoch) and reason, over [from, to) in epoch ms. */
  countsByQuarter(from: number, to: number): Array<{ quarter: number; reason: string; count: number }> {
    return this.queries
      .get(
        `SELECT at / 900000 AS quarter, reason, COUNT(*) AS count FROM gate_alarms
         WHERE gate = ? AND at >= ? AND at < ? GROUP BY quarter, reason ORDER BY quarter`,
      )
      .all(this.gate, from, to) as Array<{ quarter: number; reason: string; count: number }>;
  }

  /** One page, newest first. */
  list(query: AlarmHistoryQuery): GateAlarmRecord[] {
    const where = ['gate = ?', 'at >= ?', 'at < ?'];
    const parameters: Array<string | number> = [this.gate, query.from, query.to];
    if (query.before) {
      where.push('(at < ? OR (at = ? AND id < ?))');
      parameters.push(query.before.time, query.before.time, query.before.id);
    }
    if (query.open) where.push('acknowledged_by IS NULL');
    const rows = this.queries
      .get(
        `SELECT ${COLUMNS} FROM gate_alarms WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`,
      )
      .all(...parameters, query.limit) as Row[];
    return rows.map(toRecord);
  }

  /** How many alarms this gate had in [from, to) (epoch ms); the desk's totals ask every few seconds. */
  count(from: number, to: number): number {
    const row = this.queries
      .get('SELECT COUNT(*) AS n FROM gate_alarms WHERE gate = ? AND at >= ? AND at < ?')
      .get(this.gate, from, to) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Forgets this gate's alarms older than `before` (epoch ms); returns how many went. */
  forget(before: number): number {
    return this.queries.get('DELETE FROM gate_alarms WHERE gate = ? AND at < ?').run(this.gate, before)
      .changes;
  }
}

function toRecord(row: Row): GateAlarmRecord {
  return {
    id: row.id,
    gate: row.gate,
    time: new Date(row.at).toISOString(),
    direction: row.direction === 'in' || row.direction === 'out' ? row.direction : null,
    item: row.item,
    uid: row.uid,
    title: row.title,
    lookup: lookupOf(row),
    reason: row.reason as GateAlarmRecord['reason'],
    ils: row.ils as GateAlarmRecord['ils'],
    acknowledged:
      row.acknowledged_by === null || row.acknowledged_at === null
        ? null
        : { by: row.acknowledged_by, at: new Date(row.acknowledged_at).toISOString() },
  };
}

function lookupOf(row: Row): ItemLookupOutcome | null {
  if (row.lookup === null) return null;
  if (row.lookup === 'known' || row.lookup === 'unknown')
    return {
      answered: true,
      known: ANSWERED[row.lookup],
      callNumber: row.call_number,
      permanentLocation: row.permanent_location,
      circulationStatus: row.circulation_status,
    };
  if (Object.hasOwn(KEPT_LOOKUP_MISS_WORDS, row.lookup)) {
    const reason = row.lookup as KeptLookupMiss;
    return { answered: false, reason, message: KEPT_LOOKUP_MISS_WORDS[reason] };
  }
  return null;
}
