/**
 * The RFID pad at a desk or self-check: a DeviceDriver (kind `rfid-reader`) that keeps an
 * inventory running, reads each tag's memory once while it lies there (afresh whenever it
 * comes back, or its reader does: it may have changed elsewhere), and reports
 *
 *   tag_arrived   {uid, item, afi, eas, secured, dsfid, readError?}   once the memory is read
 *   tag_left      {uid, primaryItemId}   after N consecutive rounds without the tag
 *   set_incomplete {primaryItemId, ownerLibrary?, parts, present, missing}   when a set's parts on the pad change
 *   set_complete  {primaryItemId, ownerLibrary?, parts}   when a set reported incomplete is whole again
 *                 (a set is its item id and its owning library: two libraries' copies are two sets)
 *   security_set / security_pending / security_failed   {uid, secured, attempts, reason?}
 *   tag_programmed {uid, item}
 *
 * A link lost (a USB reader unplugged, a network reader gone, a hung reader closed) is not
 * every tag taken off the pad: nothing is known of the pad while its reader is away, so nothing
 * is said of its tags (the `disconnected` says the reader is lost). The tags, the sets reported
 * and the security writes owed are kept as last seen; once the reader answers again its
 * inventories decide as ever: a tag still there is read again — unchanged, it is not announced
 * again; changed meanwhile (programmed or secured elsewhere, or another tag with its UID put
 * down), it is `tag_left` for what it held and `tag_arrived` for what it holds now — one gone is
 * `tag_left` after N rounds without it, a new one `tag_arrived`, and an owed write is made when
 * its tag is seen. Until read again a kept tag is not among `tags()`. The same holds for a link
 * dropped on purpose (`disconnect()`, a reconnect as asked).
 *
 * A hung reader (its link open, nothing answered: locked-up firmware, a stopped pad
 * process) is told by replies that do not come: after `hungAfterMissedReplies`
 * commands in a row without any reply (inventory polls mostly, each waiting the
 * reader's inventory timeout) the pad closes the link and reports `disconnected`
 * with `rfid_not_answering`; the supervisor shows it offline and reconnects. With
 * the defaults (a poll every 200 ms, 750 ms inventory timeout, 2 misses) that is
 * within 2 s. One lost reply is not enough: a noisy serial line loses some. A reader
 * that answers with errors is not hung: three failed rounds in a row make it degraded.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import { normalizeUid, type TagUid } from '../../protocols/iso15693/uid.js';
import { isPatronCard } from '../../protocols/rfid/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import { DEFAULT_HUNG_AFTER_MISSED_REPLIES } from './defaults.js';
import { inventoryFailureInWords, isGarbledReply } from './failure-words.js';
import { findIncompleteSets, type IncompleteSet, isSetPart, setKey } from './item-sets.js';
import { type ReaderIdentity, type RfidReader, RfidReaderError } from './reader.js';
import {
  notTakingRounds,
  RoundRequests,
  type RoundSeen,
  tagsAnsweringNow,
  UNREAD,
} from './round-requests.js';
import { DEFAULT_SECURITY, holdsSecurity, type SecurityOptions, type SecurityOutcome } from './security.js';
import { SecurityJobs } from './security-jobs.js';
import type { TagItem } from './tag-item.js';
import { type PadTag, sameBytes, TagMemories } from './tag-memory.js';
import { type Presence, TagReads } from './tag-reads.js';

export type { PadTag } from './tag-memory.js';

export interface RfidPadOptions {
  id: string;
  reader: RfidReader;
  clock: Clock;
  logger: Logger;
  /** Pause between inventory rounds. Default 200 ms. */
  inventoryIntervalMs?: number;
  /** A tag missing from this many consecutive rounds has left. Default 3. */
  leaveAfterMissedRounds?: number;
  /** This many reader commands in a row without any reply mean the reader is hung. Default 2. */
  hungAfterMissedReplies?: number;
  /** Tags tracked at most (a stack of 30 fits easily). Default 64. */
  maxTags?: number;
  /** Read attempts for a new tag before it is reported with `readError`. Default 3. */
  readAttempts?: number;
  /** Memory images kept by UID. Default 1000. */
  cacheSize?: number;
  security?: Partial<SecurityOptions>;
}

export { DEFAULT_HUNG_AFTER_MISSED_REPLIES };

export class RfidPadDevice extends EventEmitter implements DeviceDriver {
  readonly id: string;
  readonly kind = 'rfid-reader';
  private readonly reader: RfidReader;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly leaveAfter: number;
  private readonly hungAfter: number;
  /** Why the pad closed the reader's link itself (it stopped answering). */
  private lostError: Error | undefined;
  private readonly maxTags: number;
  private readonly readAttempts: number;
  private readonly security: SecurityOptions;
  private readonly present = new Map<TagUid, Presence>();
  private readonly memories: TagMemories;
  private readonly reads: TagReads;
  private readonly securityJobs: SecurityJobs;
  private reportedSets = new Map<string, string>();
  private identity: ReaderIdentity | undefined;
  private connected = false;
  private disconnecting = false;
  private timer: TimerHandle | undefined;
  private roundRunning: Promise<void> | undefined;
  private readonly roundRequests = new RoundRequests();
  private failedRounds = 0;
  /** Why the last inventory failed (its code and message), for the health's reason while failing. */
  private inventoryError: { code: string; message: string } | undefined;
  private rounds = 0;
  /** What the condition last told counts (conditionChanged), so a round that changed none says nothing. */
  private told = { failing: false, tags: 0, pendingSecurity: 0 };

  constructor(options: RfidPadOptions) {
    super();
    this.id = options.id;
    this.reader = options.reader;
    this.clock = options.clock;
    this.logger = options.logger.child({ module: 'rfid-pad', device: options.id });
    this.intervalMs = Math.max(0, options.inventoryIntervalMs ?? 200);
    this.leaveAfter = Math.max(1, options.leaveAfterMissedRounds ?? 3);
    this.hungAfter = Math.max(1, options.hungAfterMissedReplies ?? DEFAULT_HUNG_AFTER_MISSED_REPLIES);
    this.maxTags = Math.max(1, options.maxTags ?? 64);
    this.readAttempts = Math.max(1, options.readAttempts ?? 3);
    this.security = { ...DEFAULT_SECURITY, ...options.security };
    this.memories = new TagMemories(Math.max(this.maxTags, options.cacheSize ?? 1000), this.security, (uid) =>
      this.present.has(uid),
    );
    this.reads = new TagReads({
      reader: this.reader,
      memories: this.memories,
      readAttempts: this.readAttempts,
      readsEas: () => this.readsEas,
      announce: { arrived: (presence) => this.arrived(presence), left: (presence) => this.left(presence) },
    });
    this.securityJobs = new SecurityJobs({
      reader: this.reader,
      security: this.security,
      clock: this.clock,
      secured: (uid, secured) => this.memories.noteSecured(uid, secured),
      publish: (type, data) => this.publish(type, data),
    });
    this.reader.on('close', (error) => this.onReaderClosed(error));
    this.conditionChanged();
  }

  /** Three inventories in a row failed: the pad is degraded until one answers. */
  private get failing(): boolean {
    return this.failedRounds >= 3;
  }

  condition(): DeviceCondition {
    const failing = this.failing;
    return {
      status: failing ? 'degraded' : 'online',
      reason: failing
        ? `inventory failing: ${inventoryFailureInWords(this.inventoryError ?? { code: 'unknown', message: 'unknown' })}`
        : null,
      detail: {
        firmware: this.identity?.firmware ?? null,
        protocol: this.identity?.protocol ?? null,
        // What is known to lie on the pad: a tag kept from before a reader loss counts once read again.
        tags: this.knownCount(),
        pendingSecurity: this.securityJobs.size,
        rounds: this.rounds,
        // Corrupt frames from the reader since start: a noisy line or a bad cable shows here.
        frameErrors: this.reader.frameErrors,
      },
    };
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.disconnecting = false;
    this.lostError = undefined;
    this.identity = await this.reader.open();
    this.connected = true;
    this.failedRounds = 0;
    // What lay on the pad before may have changed while the reader was away: read again when seen.
    for (const presence of this.present.values()) presence.readAgain = presence.announced;
    // The supervisor records the condition as of now: a change from it is told once the tags are read.
    this.conditionChanged();
    this.logger.info(
      { firmware: this.identity.firmware, reader: this.reader.description },
      'rfid reader connected',
    );
    this.schedule(0);
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    this.stopRounds();
    this.roundRequests.failAll(notTakingRounds());
    await this.roundRunning;
    this.connected = false;
    await this.reader.close();
  }

  /** Connected to its reader: while not, `tags()` is the pad as last seen, not as it is. */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Tags on the pad as the last inventory saw them: announced (memory read, or given up on with
   * why), and read again since the reader came back.
   */
  tags(): PadTag[] {
    return [...this.present.values()].filter((p) => p.announced && !p.readAgain).map((p) => this.describe(p));
  }

  /**
   * The tags that answer an inventory round begun now, each with its memory read: what lies on the
   * pad at this moment, for a write that must go to it. `tags()` keeps a tag until it has missed
   * `leaveAfterMissedRounds` rounds (one round may miss a tag lying there) and holds a new one only
   * once a round has read it: a card just swapped onto the pad (a card printer's encoding pad) is not
   * in it yet, the card before still is. The round is the pad's own, after the one running if one
   * is (that one may have asked the reader before the swap); a tag seen whose memory is not read yet
   * is read in further rounds, `readAttempts` rounds in all, and one still not read is given with
   * why (`readError`, no item). Throws when the reader is not connected, is lost meanwhile, or fails
   * every round asked.
   */
  tagsNow(): Promise<PadTag[]> {
    return tagsAnsweringNow({
      rounds: this.readAttempts,
      nextRound: () => this.nextRound(),
      tag: (uid) => {
        const presence = this.present.get(uid);
        // Read, or given up on with why; else not read yet (new, or kept from before a reader loss).
        if (presence?.announced && !presence.readAgain) return { tag: this.describe(presence), read: true };
        return { tag: { uid, item: null, readError: presence?.lastReadError ?? UNREAD }, read: false };
      },
    });
  }

  /** What the next round to begin sees; one is begun now unless one is running. */
  private nextRound(): Promise<RoundSeen> {
    if (!this.connected || this.disconnecting) return Promise.reject(notTakingRounds());
    const asked = this.roundRequests.ask();
    if (!this.roundRunning) {
      this.stopRounds();
      this.startRound();
    }
    return asked;
  }

  /** A tag on the pad as it is known: its memory as read, or why that could not be read. */
  private describe(presence: Presence): PadTag {
    const tag = this.memories.describe(presence.uid);
    if (!this.memories.has(presence.uid) && presence.lastReadError) tag.readError = presence.lastReadError;
    return tag;
  }

  /** Multi-part sets with parts missing from the pad. */
  incompleteSets(): IncompleteSet[] {
    return findIncompleteSets(this.presentItems());
  }

  /** Security writes waiting for their tag. */
  pendingSecurity(): Array<{ uid: TagUid; secured: boolean; attempts: number; reason?: string }> {
    return this.securityJobs.pending();
  }

  /**
   * Secures (after a return) or unsecures (after a checkout) one item, by AFI and/or EAS,
   * verified by reading back. A tag that is gone keeps the job until it is seen again.
   */
  setSecurity(uid: string, secured: boolean): Promise<SecurityOutcome> {
    return this.securityJobs.set(normalizeUid(uid), secured);
  }

  /**
   * Whether a tag read with this AFI and EAS bit holds the security this pad writes to secure (or
   * unsecure) an item — with afi+eas both as written; undefined when that is not known.
   */
  holdsSecurity(tag: { afi?: number | null; eas?: boolean | null }, secured: boolean): boolean | undefined {
    return holdsSecurity(this.security, tag, secured);
  }

  /**
   * Writes a new memory image (blank or re-tagged item) from block 0 and reads it back; with `dsfid`
   * (the data model's: ISO 28560-2 0x06, -3 0x3E), writes the tag's DSFID too and reads it back, where
   * the reader can (not the 3M 810); with `lock`, locks the written data blocks. The DSFID is left
   * unlocked (nothing in ISO 28560 as Carrel has it asks for it locked, and a tag re-programmed in
   * another data model needs it changed); the AFI is never touched or locked.
   */
  async program(
    uid: string,
    memory: Uint8Array,
    options: { lock?: boolean; dsfid?: number } = {},
  ): Promise<PadTag> {
    const tag = normalizeUid(uid);
    const info = this.memories.info(tag) ?? (await this.reader.systemInfo(tag));
    const blockSize = info.blockSize ?? 4;
    const blockCount = info.blockCount ?? Math.ceil(memory.length / blockSize);
    const blocks = Math.ceil(memory.length / blockSize);
    if (memory.length === 0 || blocks > blockCount)
      throw new CarrelError(
        'rfid_memory_too_small',
        `tag holds ${blockCount * blockSize} bytes, image has ${memory.length}`,
      );
    const image = new Uint8Array(blocks * blockSize);
    image.set(memory);
    let dsfid = info.dsfid;
    try {
      await this.writeAndReadBack(tag, image, blocks);
      if (options.dsfid !== undefined && this.reader.capabilities.writeDsfid) {
        await this.reader.writeDsfid(tag, options.dsfid);
        dsfid = (await this.reader.systemInfo(tag)).dsfid;
        if (dsfid !== options.dsfid)
          throw new RfidReaderError('rfid_verify_failed', 'the tag’s DSFID differs after writing');
      }
      if (options.lock) await this.reader.lockBlocks(tag, 0, blocks);
    } catch (error) {
      await this.reread(tag, { ...info, blockSize, blockCount, ...(dsfid === undefined ? {} : { dsfid }) });
      throw error;
    }
    const full = new Uint8Array((info.blockCount ?? blocks) * blockSize);
    const previous = this.memories.memory(tag);
    if (previous && previous.length === full.length) full.set(previous);
    full.set(image);
    this.memories.remember(tag, {
      info: { ...info, blockSize, blockCount, ...(dsfid === undefined ? {} : { dsfid }) },
      memory: full,
      ...this.easOf(tag),
    });
    const described = this.memories.describe(tag);
    this.publish('tag_programmed', { uid: tag, item: described.item, locked: options.lock === true });
    return described;
  }

  /**
   * Writes `image` from block 0 and reads it back. A write whose replies all came garbled on the line
   * (sent again each time) may have reached the tag: what the tag holds says — the image, written;
   * anything else, the write's failure; nothing readable, `rfid_write_unknown` (staff place the tag
   * again and look), never "failed" for a tag that may hold the new data.
   */
  private async writeAndReadBack(tag: TagUid, image: Uint8Array, blocks: number): Promise<void> {
    let garbled: unknown;
    try {
      await this.reader.writeBlocks(tag, 0, image);
    } catch (error) {
      if (!isGarbledReply(describeError(error).code)) throw error;
      garbled = error;
    }
    let readBack: Uint8Array;
    try {
      readBack = await this.reader.readBlocks(tag, 0, blocks);
    } catch (error) {
      if (garbled === undefined) throw error;
      throw new RfidReaderError(
        'rfid_write_unknown',
        'the reader’s replies to the write came garbled, and the tag could not be read back: whether it was written is not known',
      );
    }
    if (sameBytes(readBack, image)) return;
    throw garbled ?? new RfidReaderError('rfid_verify_failed', 'tag memory differs after writing');
  }

  /**
   * Whether a tag's EAS bit is read with its memory: when the desk secures by it and the reader
   * can ask (the 3M 810 cannot: there a tag's security on an EAS desk is not known).
   */
  private get readsEas(): boolean {
    return this.security.method !== 'afi' && this.reader.capabilities.eas;
  }

  /** The EAS bit known of a tag, kept when its memory is read or written anew. */
  private easOf(uid: TagUid): { eas?: boolean } {
    const eas = this.memories.eas(uid);
    return eas === undefined ? {} : { eas };
  }

  /**
   * After a failed write the tag may hold part of the new image: what it holds is read
   * again if it still answers; if not, it is read when it is back on the pad.
   */
  private async reread(uid: TagUid, info: SystemInfo): Promise<void> {
    try {
      const memory = await this.reader.readBlocks(uid, 0, info.blockCount ?? 28);
      this.memories.remember(uid, { info, memory, ...this.easOf(uid) });
    } catch {
      // Gone or not answering: its arrival reads it afresh.
    }
  }

  private schedule(delayMs: number): void {
    if (!this.connected || this.disconnecting) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(`rfid-pad ${this.id} inventory`, () => this.startRound(), delayMs);
  }

  private stopRounds(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private startRound(): void {
    this.timer = undefined;
    // Asked for before this round began: it answers them.
    const answer = this.roundRequests.beginning();
    const ended = (seen: RoundSeen) => {
      this.roundRunning = undefined;
      answer(seen);
      if (this.reader.unansweredInARow >= this.hungAfter) this.hung();
      // Asked for during this round: the next begins at once.
      else this.schedule(this.roundRequests.wanted ? 0 : this.intervalMs);
      if (!this.timer) this.roundRequests.failAll(this.lostError ?? notTakingRounds());
    };
    this.roundRunning = this.round().then(ended, (error: unknown) => {
      this.logger.error({ err: describeError(error) }, 'rfid round failed');
      ended({ failed: error instanceof Error ? error : new Error(String(error)) });
    });
  }

  private async round(): Promise<RoundSeen> {
    let sightings: Array<{ uid: TagUid; dsfid?: number }>;
    try {
      sightings = await this.reader.inventory();
    } catch (error) {
      const failed = error instanceof Error ? error : new Error(String(error));
      if (!this.reader.isOpen) return { failed };
      this.failedRounds++;
      this.inventoryError = describeError(error);
      this.logger.warn({ err: this.inventoryError }, 'inventory failed');
      this.checkCondition();
      return { failed };
    }
    this.rounds++;
    this.failedRounds = 0;
    const seen = new Set<TagUid>();
    for (const sighting of sightings) seen.add(sighting.uid);
    // A tag that left is deleted as it is met: a Map's iteration goes on past it.
    for (const presence of this.present.values()) {
      if (seen.has(presence.uid)) presence.missedRounds = 0;
      else if (++presence.missedRounds >= this.leaveAfter) this.leave(presence);
    }
    for (const sighting of sightings) {
      if (this.present.has(sighting.uid) || this.present.size >= this.maxTags) continue;
      // A tag back on the pad is read afresh: while away it may have been programmed or
      // secured at another station, or a write cut off when it was pulled away changed it.
      this.memories.forget(sighting.uid);
      this.present.set(sighting.uid, {
        uid: sighting.uid,
        missedRounds: 0,
        announced: false,
        readAgain: false,
        readFailures: 0,
      });
    }
    await this.readAndSecure(seen);
    return { seen };
  }

  /** After an inventory: the memory of each tag it saw read where owed, and security owed it written. */
  private async readAndSecure(seen: ReadonlySet<TagUid>): Promise<void> {
    for (const presence of this.present.values()) {
      // A reader that left a command unanswered is asked nothing more this round.
      if (this.disconnecting || !this.reader.isOpen || this.reader.unansweredInARow > 0) return;
      if (presence.missedRounds > 0) continue;
      if (!presence.announced) await this.reads.readNew(presence);
      else if (presence.readAgain) await this.reads.readKept(presence);
    }
    // Most rounds owe no tag a write: then there is nothing to wait for.
    if (this.securityJobs.size > 0)
      for (const uid of seen) {
        if (this.reader.unansweredInARow > 0) break;
        if (this.reader.isOpen && !this.disconnecting) await this.securityJobs.retry(uid);
      }
    this.reportSets();
    this.checkCondition();
  }

  /** The tag's memory is read (or could not be, after every attempt): tag_arrived. */
  private arrived(presence: Presence): void {
    const uid = presence.uid;
    presence.announced = true;
    // Read, or given up: its next read (after a reader loss) has all its attempts again.
    presence.readFailures = 0;
    const tag = this.describe(presence);
    this.publish('tag_arrived', {
      uid,
      item: tag.item,
      afi: tag.afi ?? null,
      eas: tag.eas ?? null,
      secured: tag.secured ?? null,
      dsfid: tag.dsfid ?? null,
      ...(tag.readError ? { readError: tag.readError } : {}),
    });
  }

  private leave(presence: Presence): void {
    this.present.delete(presence.uid);
    if (presence.announced) this.left(presence);
  }

  /** tag_left, with the item the tag held as last read. */
  private left(presence: Presence): void {
    const item = this.memories.item(presence.uid);
    this.publish('tag_left', {
      uid: presence.uid,
      primaryItemId: item?.primaryItemId ?? null,
      ...(item?.typeOfUsage ? { typeOfUsage: item.typeOfUsage } : {}),
    });
  }

  /** Whether an item on the pad (as presentItems gives them) is a part of a multi-part set. */
  private holdsPartOfASet(): boolean {
    for (const presence of this.present.values()) {
      const item = presence.announced ? this.memories.item(presence.uid) : undefined;
      if (item && isSetPart(item) && !isPatronCard(item)) return true;
    }
    return false;
  }

  /** Items on the pad, for multi-part sets: a patron card is never part of one (its id is a patron's). */
  private presentItems(): TagItem[] {
    const items: TagItem[] = [];
    for (const presence of this.present.values()) {
      const item = presence.announced ? this.memories.item(presence.uid) : undefined;
      if (item && !isPatronCard(item)) items.push(item);
    }
    return items;
  }

  private reportSets(): void {
    // No set reported and no part of one on the pad (most rounds): nothing to find.
    if (this.reportedSets.size === 0 && !this.holdsPartOfASet()) return;
    const now = new Map<string, string>();
    for (const set of this.incompleteSets()) {
      const key = setKey(set.primaryItemId, set.ownerLibrary);
      const state = set.present.join(',');
      now.set(key, state);
      if (this.reportedSets.get(key) !== state) this.publish('set_incomplete', { ...set });
    }
    for (const [key] of this.reportedSets) {
      if (now.has(key)) continue;
      const part = this.presentItems().find((i) => setKey(i.primaryItemId, i.ownerLibrary) === key);
      if (part?.set === undefined) continue;
      this.publish('set_complete', {
        primaryItemId: part.primaryItemId,
        ...(part.ownerLibrary ? { ownerLibrary: part.ownerLibrary } : {}),
        parts: part.set.parts,
      });
    }
    this.reportedSets = now;
  }

  /** The reader answers nothing: its link is closed (a late reply must not pass for a new command's) and reported lost. */
  private hung(): void {
    if (!this.connected || this.lostError) return;
    const missed = this.reader.unansweredInARow;
    this.lostError = new RfidReaderError(
      'rfid_not_answering',
      `the reader is not answering: ${missed} commands in a row without a reply`,
    );
    this.logger.warn({ missed }, 'rfid reader stopped answering');
    void this.reader.close();
  }

  private onReaderClosed(error: Error | undefined): void {
    this.stopRounds();
    this.roundRequests.failAll(error ?? this.lostError ?? notTakingRounds());
    if (!this.connected) return;
    this.connected = false;
    // The tags are kept as last seen, nothing said of them: the reader's next inventories decide.
    const cause = error ?? this.lostError;
    if (!this.disconnecting && cause) {
      this.logger.warn(
        { err: describeError(cause), tags: this.announcedCount() },
        'rfid reader link lost; its tags are kept as last seen until it answers again',
      );
      this.emit('disconnected', cause);
    }
  }

  private publish(type: string, data: Record<string, unknown>): void {
    this.emit('event', type, data);
  }

  /** Tags known to lie on the pad: those `tags()` offers. */
  private knownCount(): number {
    let count = 0;
    for (const presence of this.present.values()) if (presence.announced && !presence.readAgain) count++;
    return count;
  }

  /** Tags kept as last seen, whether read again since or not. */
  private announcedCount(): number {
    let count = 0;
    for (const presence of this.present.values()) if (presence.announced) count++;
    return count;
  }

  /**
   * Emits the condition when its status and reason (failing or not) or the tags and writes it counts
   * change — not per round: a round that changed none of them builds no condition.
   */
  private checkCondition(): void {
    if (this.conditionChanged()) this.emit('condition', this.condition());
  }

  /** Whether what the condition tells differs from what it last told; takes it as told. */
  private conditionChanged(): boolean {
    const told = this.told;
    const failing = this.failing;
    const tags = this.knownCount();
    const pendingSecurity = this.securityJobs.size;
    if (told.failing === failing && told.tags === tags && told.pendingSecurity === pendingSecurity)
      return false;
    told.failing = failing;
    told.tags = tags;
    told.pendingSecurity = pendingSecurity;
    return true;
  }
}
