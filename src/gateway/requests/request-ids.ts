/**
 * Request ids kept in SQLite, so that a request sent again (a kiosk whose
 * answer was lost, an MQTT message delivered twice) is answered, not done
 * again, across restarts too.
 *
 * A request is recorded `running` (synchronous=FULL: on disk) before its work
 * starts, and its end — the result, a refusal, or in doubt — once the work
 * ends. A `running` row that no request of this process holds was left by a
 * Carrel that stopped (SIGKILL, power cut) while the request was under way:
 * the ILS may or may not have done it, so the same id is refused as in doubt
 * rather than sent again. Nothing is kept of the request but a hash of its
 * fields and of a keyed hash of its PIN (under a key kept apart from the
 * database: `secretKey`); the answer is kept a day (the same id after that is a
 * new request).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { KeptRefusal, RequestCall, RequestIdService } from '../contracts/requests.js';
import type { Feature } from '../feature.js';
import { Retention } from '../retention.js';
import { type Database, migrate, StatementCache } from '../storage/index.js';

const MIGRATIONS = [
  `CREATE TABLE request_ids (
    caller TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'answered', 'refused', 'in_doubt')),
    answer TEXT,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    PRIMARY KEY (caller, request_id)
  ) WITHOUT ROWID;
  CREATE INDEX request_ids_by_start ON request_ids (started_at);`,
];

/** A request id is 8 to 128 printable ASCII characters: a UUID fits, a counter from 1 does not. */
export const REQUEST_ID_PATTERN = /^[\x21-\x7e]{8,128}$/;

/** The file beside the database that holds the key PINs are hashed under (see `secretKey`). */
export const REQUEST_SECRET_KEY_FILE = 'request-ids.key';

/** How long an answer is kept for the same id: retries come within minutes, a day is ample. */
export const REQUEST_ID_RETENTION_DAYS = 1;

interface Row {
  action: string;
  fingerprint: string;
  state: 'running' | 'answered' | 'refused' | 'in_doubt';
  answer: string | null;
}

interface Running {
  fingerprint: string;
  promise: Promise<unknown>;
}

interface Remembered extends Running {
  /** Forgotten after this (monotonic ms: NTP stepping the wall clock moves it not); while under way, never. */
  until: number;
}

/** How long a request kept in memory is answered again: a kiosk's retry comes within seconds. */
const REMEMBERED_MS = 10 * 60_000;

export interface RequestIdsOptions {
  db: () => Database;
  /**
   * The key a request's secret (its PIN) is hashed under, asked for on first use: the same across
   * restarts (a file beside the database: `secretKeyAt`), so that a request kept on disk and sent
   * again after a restart with another PIN is told from the first. Without it, or where it cannot
   * be had, a key of this process's own, never written: a request kept on disk sent again after a
   * restart with its PIN is then refused as another request (nothing is done twice).
   */
  secretKey?: () => Buffer;
  clock?: Clock;
  logger: Logger;
}

export class RequestIds implements RequestIdService, Feature {
  readonly name = 'request-ids';
  private readonly clock: Clock;
  private readonly running = new Map<string, Running>();
  private readonly remembered = new Map<string, Remembered>();
  private retention: Retention | undefined;
  private prepared: { db: Database; sql: StatementCache } | undefined;
  /** The key a request's secret (a PIN) is hashed under, once asked for (see `secretKey`). */
  private secretKey: Buffer | undefined;

  constructor(private readonly options: RequestIdsOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    this.retention = new Retention({
      name: 'request-ids-prune',
      forget: (before) => this.forget(before),
      retentionDays: REQUEST_ID_RETENTION_DAYS,
      intervalMs: 3_600_000,
      clock: this.clock,
      logger: this.options.logger,
    });
    this.retention.start();
  }

  async stop(): Promise<void> {
    this.retention?.stop();
    this.retention = undefined;
  }

  once<T>(call: RequestCall, work: () => Promise<T>): Promise<T> {
    if (!REQUEST_ID_PATTERN.test(call.requestId))
      return Promise.reject(
        new CarrelError('request_id_invalid', 'a request id is 8 to 128 printable characters (a UUID)'),
      );
    const key = `${call.caller}\n${call.requestId}`;
    // The PIN must match as well (another PIN is another request), in memory and on disk alike,
    // kept only as a keyed hash within the request's.
    const secret =
      call.secret === undefined
        ? undefined
        : createHmac('sha256', this.keyForSecrets()).update(call.secret).digest('base64url');
    const fingerprint = fingerprintOf(call.action, call.fields, secret);
    if (call.keep === 'memory') return this.onceInMemory(key, fingerprint, call, work);
    // One id is one request wherever it is kept: an id a session call took (in memory) is not free
    // for a checkout or a renewal at the circulation routes, which would be done under it as well.
    const inMemory = this.rememberedNow(key);
    if (inMemory) {
      if (!sameRequest(inMemory.fingerprint, fingerprint))
        return Promise.reject(reused(call.requestId, inMemory.fingerprint, fingerprint));
      call.onReplay?.();
      return inMemory.promise as Promise<T>;
    }
    const underWay = this.running.get(key);
    if (underWay) {
      if (!sameRequest(underWay.fingerprint, fingerprint))
        return Promise.reject(reused(call.requestId, underWay.fingerprint, fingerprint));
      call.onReplay?.();
      return underWay.promise as Promise<T>;
    }
    let row: Row | undefined;
    try {
      row = this.sql()
        .get('SELECT action, fingerprint, state, answer FROM request_ids WHERE caller = ? AND request_id = ?')
        .get(call.caller, call.requestId) as Row | undefined;
    } catch (error) {
      return Promise.reject(error);
    }
    if (row) return this.answerAgain(row, fingerprint, call) as Promise<T>;
    try {
      // On disk before the work starts: after a power cut the id is in doubt, never done twice.
      this.sql()
        .get(
          `INSERT INTO request_ids (caller, request_id, action, fingerprint, state, started_at)
           VALUES (?, ?, ?, ?, 'running', ?)`,
        )
        .run(call.caller, call.requestId, call.action, fingerprint, this.clock.now());
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = this.run(key, call, work);
    this.running.set(key, { fingerprint, promise });
    return promise;
  }

  /** The key secrets are hashed under: the one kept across restarts, else this process's own. */
  private keyForSecrets(): Buffer {
    if (this.secretKey !== undefined) return this.secretKey;
    try {
      this.secretKey = this.options.secretKey?.() ?? randomBytes(32);
    } catch (error) {
      this.options.logger.warn(
        { err: error },
        'the key PINs of requests are compared under could not be read or made: one of this process is used, so a checkout sent again after a restart with its request id is refused as another request, not answered',
      );
      this.secretKey = randomBytes(32);
    }
    return this.secretKey;
  }

  /** Answered again by this process only, for ten minutes after it ended; an error is forgotten at once. */
  private onceInMemory<T>(
    key: string,
    fingerprint: string,
    call: RequestCall,
    work: () => Promise<T>,
  ): Promise<T> {
    const known = this.rememberedNow(key);
    if (known) {
      if (!sameRequest(known.fingerprint, fingerprint))
        return Promise.reject(reused(call.requestId, known.fingerprint, fingerprint));
      const { again } = call;
      if (again === undefined) {
        call.onReplay?.();
        return known.promise as Promise<T>;
      }
      // What the first answer said, as it stands now: a replay only when that is what is answered.
      return known.promise.then((first) => {
        const now = again(first) as T;
        call.onReplay?.();
        return now;
      });
    }
    // The same id taken by a request kept on disk (a checkout, a payment): another request, refused.
    const onDisk = this.running.get(key)?.fingerprint ?? this.fingerprintOnDisk(call);
    if (onDisk !== undefined && !sameRequest(onDisk, fingerprint))
      return Promise.reject(reused(call.requestId, onDisk, fingerprint));
    const entry: Remembered = { fingerprint, promise: Promise.resolve(), until: Number.POSITIVE_INFINITY };
    const promise = work().then(
      (result) => {
        entry.until = this.clock.monotonic() + REMEMBERED_MS;
        if (call.final?.(result) === false && this.remembered.get(key) === entry) this.remembered.delete(key);
        return result;
      },
      (error: unknown) => {
        this.remembered.delete(key);
        throw error;
      },
    );
    entry.promise = promise;
    this.remembered.set(key, entry);
    return promise;
  }

  /** The request kept in memory under `key`, when one is (those past their ten minutes forgotten first). */
  private rememberedNow(key: string): Remembered | undefined {
    const now = this.clock.monotonic();
    for (const [known, entry] of this.remembered) if (entry.until <= now) this.remembered.delete(known);
    return this.remembered.get(key);
  }

  /**
   * The fingerprint of the request kept on disk under the call's id, if any; read only, so a desk
   * whose requests were all kept in memory writes nothing, not even the table. A database that cannot
   * be read leaves a request kept in memory (a self-check session's) to go on: it never needed it.
   */
  private fingerprintOnDisk(call: RequestCall): string | undefined {
    try {
      if (this.prepared?.db !== this.options.db()) {
        const table = this.options
          .db()
          .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'request_ids'")
          .get();
        if (table === undefined) return undefined;
      }
      const row = this.sql()
        .get('SELECT fingerprint FROM request_ids WHERE caller = ? AND request_id = ?')
        .get(call.caller, call.requestId) as Pick<Row, 'fingerprint'> | undefined;
      return row?.fingerprint;
    } catch {
      return undefined;
    }
  }

  private async run<T>(key: string, call: RequestCall, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      if (call.final?.(result) === false) this.end(call, undefined, null);
      else this.end(call, 'answered', JSON.stringify(result ?? null));
      return result;
    } catch (error) {
      const outcome = call.outcomeOf(error);
      if (outcome.kind === 'refusal') this.end(call, 'refused', JSON.stringify(outcome.kept));
      else if (outcome.kind === 'in_doubt') this.end(call, 'in_doubt', null);
      else this.end(call, undefined, null);
      throw error;
    } finally {
      this.running.delete(key);
    }
  }

  /**
   * Records how the request ended (`undefined`: nothing was done, the id is free again). Not
   * synchronous=FULL: an end lost with a power cut leaves the row running, which is answered
   * as in doubt, never done again. A failed write (a full disk) does not take the answer from
   * the client; the id then stays running, and so in doubt, too.
   */
  private end(call: RequestCall, state: Row['state'] | undefined, answer: string | null): void {
    try {
      const db = this.options.db();
      db.relaxedDurability(() => {
        if (state === undefined)
          this.sql()
            .get('DELETE FROM request_ids WHERE caller = ? AND request_id = ?')
            .run(call.caller, call.requestId);
        else
          this.sql()
            .get(
              'UPDATE request_ids SET state = ?, answer = ?, ended_at = ? WHERE caller = ? AND request_id = ?',
            )
            .run(state, answer, this.clock.now(), call.caller, call.requestId);
      });
    } catch (error) {
      this.options.logger.warn(
        { err: error, action: call.action },
        'a request id was answered but its answer could not be kept; the same id is now in doubt',
      );
    }
  }

  private async answerAgain(row: Row, fingerprint: string, call: RequestCall): Promise<unknown> {
    if (!sameRequest(row.fingerprint, fingerprint))
      throw reused(call.requestId, row.fingerprint, fingerprint);
    if (row.state === 'answered') {
      call.onReplay?.();
      return JSON.parse(row.answer ?? 'null');
    }
    if (row.state === 'refused') {
      call.onReplay?.();
      throw call.restore(JSON.parse(row.answer ?? '{}') as KeptRefusal);
    }
    // The kiosk is told to look it up; the log tells IT (no patron data: the action and the token's name).
    this.options.logger.warn(
      {
        action: call.action,
        caller: call.caller,
        left: row.state === 'running' ? 'under way at a stop' : 'answer lost',
      },
      'a request sent again may have been done already: answered request_in_doubt',
    );
    throw new CarrelError(
      'request_in_doubt',
      row.state === 'running'
        ? `request ${call.requestId} was under way when Carrel stopped: it may have been done. ` +
            'Look it up before sending it again with a new request id'
        : `request ${call.requestId} went to the library system and its answer was lost: it may ` +
            'have been done. Look it up before sending it again with a new request id',
    );
  }

  /** Forgets every id started before `before` (epoch ms); how many went. */
  forget(before: number): number {
    return Number(this.sql().get('DELETE FROM request_ids WHERE started_at < ?').run(before).changes);
  }

  private sql(): StatementCache {
    const db = this.options.db();
    if (this.prepared?.db !== db) {
      migrate(db, 'request-ids', MIGRATIONS);
      this.prepared = { db, sql: new StatementCache(db) };
    }
    return this.prepared.sql;
  }
}

/**
 * The same id with another request: refused, naming the fields that differ where the kept marks
 * tell them (an id kept by a Carrel before this one, or two values whose marks collide, are
 * refused without a name).
 */
function reused(requestId: string, kept: string, fresh: string): CarrelError {
  // A path's parameter (`params.id`: the cash device, the payment) is named as the caller wrote it.
  const fields = differingFields(kept, fresh).map((name) =>
    name.startsWith('params.') ? `${name.slice('params.'.length)} in the path` : name,
  );
  return new CarrelError(
    'request_id_conflict',
    fields.length > 0
      ? `request id ${requestId} was already used for another request (another ${fields.join(', ')}): ` +
          'nothing was done. Send each new request with a new request id'
      : `request id ${requestId} was already used for another request: nothing was done. ` +
          'Send each new request with a new request id',
  );
}

/**
 * A hash of the action and the request's fields, keys in order: the same request, whatever its
 * JSON's key order; after `~`, a mark per field (one level into objects: `params.id`) to name
 * what differs when an id comes back with another request. A mark is 16 bits of the field's own
 * hash: enough to tell that a field changed; fields that name a patron get none (UNMARKED). A
 * request's secret (its PIN) is in the hash alone, as its keyed hash (`keyedSecret`).
 */
function fingerprintOf(action: string, fields: unknown, keyedSecret?: string): string {
  const hashing = createHash('sha256').update(action).update('\n').update(canonical(fields));
  // A keyed hash of the request's secret (its PIN), in the request's hash only: no mark names it.
  if (keyedSecret !== undefined) hashing.update('\n').update(keyedSecret);
  const hash = hashing.digest('base64url');
  const marks = Object.entries(flatFields(fields)).map(
    ([name, value]) =>
      `${name}:${createHash('sha256').update(action).update('\n').update(name).update('\n').update(canonical(value)).digest('hex').slice(0, 4)}`,
  );
  return marks.length === 0 ? hash : `${hash}~${marks.join(',')}`;
}

/** Whether two fingerprints are of the same request (their hashes, whatever marks they carry). */
function sameRequest(kept: string, fresh: string): boolean {
  return kept.split('~', 1)[0] === fresh.split('~', 1)[0];
}

function differingFields(kept: string, fresh: string): string[] {
  const marksOf = (fingerprint: string) => {
    const at = fingerprint.indexOf('~');
    const marks = new Map<string, string>();
    if (at < 0) return marks;
    for (const mark of fingerprint.slice(at + 1).split(',')) {
      const colon = mark.lastIndexOf(':');
      marks.set(mark.slice(0, colon), mark.slice(colon + 1));
    }
    return marks;
  };
  const before = marksOf(kept);
  const now = marksOf(fresh);
  if (before.size === 0 || now.size === 0) return [];
  const names = new Set([...before.keys(), ...now.keys()]);
  return [...names].filter((name) => before.get(name) !== now.get(name)).sort();
}

/**
 * Fields that name a patron get no mark: a library's barcodes are few and alike (a known prefix,
 * a range of numbers), so even 16 bits of one's hash, kept beside the request, would narrow it to
 * a handful. A clash in one of them is refused without naming it.
 */
const UNMARKED = /^(patron|patronName|name|card|cardNumber|barcode|pin|password)$/i;

/** The request's fields by name, one level into objects (`params.id`, `purpose.kind`), but those that name a patron. */
function flatFields(fields: unknown): Record<string, unknown> {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return {};
  const named = (name: string) => /^[\w.-]{1,64}$/.test(name) && !UNMARKED.test(name);
  const flat: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields as Record<string, unknown>)) {
    if (value === undefined || !named(name)) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        if (innerValue !== undefined && named(inner)) flat[`${name}.${inner}`] = innerValue;
      }
    else flat[name] = value;
  }
  return flat;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
