/**
 * "Reader as gate": an ordinary RFID reader (FEIG or 3M, see devices/rfid) at a doorway, run
 * in an inventory loop through the presence debouncer. A DeviceDriver of kind `gate` with the
 * same events as a FEIG notification gate: `tag_read` once a tag is stable (with its AFI and
 * user memory, read once per UID and cached), `tag_gone` when a stable tag has left.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { ReaderIdentity, RfidReader } from '../rfid/reader.js';
import type { GateEvents, GateEventType, GateTagRead } from './events.js';
import { type PresenceChange, PresenceDebouncer, type PresenceOptions } from './presence.js';

export interface ReaderGateOptions {
  id: string;
  reader: RfidReader;
  clock: Clock;
  logger: Logger;
  /** Pause between inventory rounds. Default 100 ms. */
  inventoryIntervalMs?: number;
  presence?: Partial<PresenceOptions>;
  /** Read each stable tag's AFI and user memory (once per UID). Default true. */
  readTags?: boolean;
  /** Blocks read when a tag does not say its memory size. Default 28. */
  defaultBlockCount?: number;
  /** Also ask the tag for its NXP EAS bit (one more command per tag). Default false. */
  checkEas?: boolean;
  /** Tags' data kept by UID. Default 500. */
  cacheSize?: number;
}

type TagData = Pick<GateTagRead, 'memory' | 'blockSize' | 'afi' | 'eas'> & { readError?: string };

export class ReaderGate extends EventEmitter implements DeviceDriver {
  readonly id: string;
  readonly kind = 'gate';
  private readonly reader: RfidReader;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly presence: PresenceDebouncer;
  private readonly intervalMs: number;
  private readonly cache = new Map<string, TagData>();
  private identity: ReaderIdentity | undefined;
  private connected = false;
  private disconnecting = false;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private failedRounds = 0;
  private rounds = 0;
  private passages = 0;
  private lastCondition = JSON.stringify({ s: 'online', r: null });

  constructor(private readonly options: ReaderGateOptions) {
    super();
    this.id = options.id;
    this.reader = options.reader;
    this.clock = options.clock;
    this.logger = options.logger.child({ module: 'reader-gate', device: options.id });
    this.presence = new PresenceDebouncer(options.clock, options.presence);
    this.intervalMs = Math.max(0, options.inventoryIntervalMs ?? 100);
    this.reader.on('close', (error) => this.onReaderClosed(error));
  }

  condition(): DeviceCondition {
    const failing = this.failedRounds >= 3;
    return {
      status: failing ? 'degraded' : 'online',
      reason: failing ? 'inventory failing' : null,
      detail: {
        reader: this.reader.description,
        firmware: this.identity?.firmware ?? null,
        protocol: this.identity?.protocol ?? null,
        rounds: this.rounds,
        tagsInField: this.presence.present().length,
        passages: this.passages,
        overflow: this.presence.overflow,
      },
    };
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.disconnecting = false;
    this.identity = await this.reader.open();
    this.connected = true;
    this.failedRounds = 0;
    this.logger.info(
      { reader: this.reader.description, firmware: this.identity.firmware },
      'reader gate connected',
    );
    this.schedule(0);
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
    this.connected = false;
    await this.reader.close();
    await this.report(this.presence.clear());
  }

  private schedule(delayMs: number): void {
    if (!this.connected || this.disconnecting) return;
    this.timer = this.clock.setTimeout(`reader-gate:${this.id}:inventory`, () => this.startRound(), delayMs);
  }

  private startRound(): void {
    this.timer = undefined;
    this.running = this.round()
      .catch((error: unknown) => this.logger.error({ err: describeError(error) }, 'reader gate round failed'))
      .finally(() => {
        this.running = undefined;
        this.schedule(this.intervalMs);
      });
  }

  private async round(): Promise<void> {
    let uids: string[];
    try {
      uids = (await this.reader.inventory()).map((sighting) => sighting.uid);
    } catch (error) {
      if (!this.reader.isOpen) return;
      this.failedRounds++;
      this.logger.warn({ err: describeError(error) }, 'inventory failed');
      this.checkCondition();
      return;
    }
    this.rounds++;
    this.failedRounds = 0;
    const changes = uids.flatMap((uid) => this.presence.observe(uid));
    changes.push(...this.presence.sweep());
    await this.report(changes);
    this.checkCondition();
  }

  private async report(changes: PresenceChange[]): Promise<void> {
    for (const change of changes) {
      if (change.type === 'gone' && change.tag.stable) {
        this.publish('tag_gone', { uid: change.tag.uid, time: this.now() });
      } else if (change.type === 'stable') {
        this.passages++;
        const data = await this.tagData(change.tag.uid);
        this.publish('tag_read', {
          uid: change.tag.uid,
          transponderType: null,
          ...data,
          antenna: null,
          rssi: null,
          reads: change.tag.reads,
          time: this.now(),
          readerTime: null,
          source: 'inventory',
        });
      }
    }
  }

  private async tagData(uid: string): Promise<TagData> {
    const cached = this.cache.get(uid);
    if (cached) return cached;
    const blank: TagData = { memory: null, blockSize: null, afi: null, eas: null };
    if (this.options.readTags === false || !this.connected || this.disconnecting) return blank;
    let data: TagData;
    try {
      const info = await this.reader.systemInfo(uid);
      const blockSize = info.blockSize ?? 4;
      const memory = await this.reader.readBlocks(
        uid,
        0,
        info.blockCount ?? this.options.defaultBlockCount ?? 28,
      );
      const eas =
        this.options.checkEas && this.reader.capabilities.eas ? await this.reader.easAlarm(uid) : null;
      data = {
        memory,
        blockSize,
        afi: info.afi ?? null,
        eas,
      };
    } catch (error) {
      // Gone before it could be read: report the passage anyway, and try again next time.
      return { ...blank, readError: describeError(error).code };
    }
    this.cache.set(uid, data);
    while (this.cache.size > Math.max(1, this.options.cacheSize ?? 500))
      this.cache.delete(this.cache.keys().next().value as string);
    return data;
  }

  private onReaderClosed(error: Error | undefined): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (!this.connected) return;
    this.connected = false;
    void this.report(this.presence.clear());
    if (!this.disconnecting && error) {
      this.logger.warn({ err: describeError(error) }, 'reader gate link lost');
      this.emit('disconnected', error);
    }
  }

  private publish<K extends GateEventType>(type: K, data: GateEvents[K]): void {
    this.emit('event', type, data);
  }

  private checkCondition(): void {
    const next = this.condition();
    const key = JSON.stringify({ s: next.status, r: next.reason });
    if (key === this.lastCondition) return;
    this.lastCondition = key;
    this.emit('condition', next);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
