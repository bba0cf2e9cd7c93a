import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceCondition, DeviceDriver } from '../../devices/device.js';
import type { DeviceState } from '../../devices/device-state.js';
import {
  FeigReader,
  type IncompleteSet,
  isTagAbsentError,
  type PadTag,
  RfidPadDevice,
  type RfidReader,
  type TagDecoder,
  type TagItem,
  ThreeMReader,
} from '../../devices/rfid/index.js';
import { createTransport, type SimulatorResolver } from '../../devices/transport/factory.js';
import { normalizeUid } from '../../protocols/iso15693/uid.js';
import {
  decodeTag,
  encodeIso28560Part2,
  encodeIso28560Part3,
  RfidEncodeError,
  type TypeOfUsageName,
} from '../../protocols/rfid/index.js';
import type { RfidReaderConfig } from '../config/schema.js';
import type { EventBus } from '../event-bus.js';
import type { DeviceEntry } from './registry.js';
import { DeviceSupervisor, notStartedState } from './supervisor.js';

/** An item as the desk shows it: what the tag's data model says, decoded by src/protocols/rfid. */
export interface RfidItemView extends TagItem {
  /** ISO 28560-1 type of usage (`circulating`, `patron-card`…), when the data model carries one. */
  typeOfUsage?: TypeOfUsageName;
  /** Owner library as an ISIL, with its hyphen (`DK-718500`). */
  isil?: string;
  /** Decoder warnings (codes): the tag was read, but something in it is off. */
  warnings: string[];
}

export interface RfidTagView {
  uid: string;
  item: RfidItemView | null;
  secured: boolean | null;
  afi: number | null;
  dsfid: number | null;
  /** Why the memory could not be read or decoded. */
  readError?: string;
}

export interface RfidTagsView {
  tags: RfidTagView[];
  incompleteSets: IncompleteSet[];
}

export interface RfidSecurityView {
  uid: string;
  secured: boolean;
  /** `done`: written and read back; `pending`: the tag left mid-write, retried when it is back. */
  status: 'done' | 'pending';
  reason?: string;
}

/** New tag data for a blank or re-tagged item (or a patron card). */
export interface RfidProgramRequest {
  format: '28560-3' | '28560-2';
  primaryItemId: string;
  isil?: string | undefined;
  set?: { part: number; parts: number } | undefined;
  typeOfUsage?: Exclude<TypeOfUsageName, 'reserved'> | undefined;
  /** Lock the written data blocks (never the AFI). */
  lock?: boolean | undefined;
}

/** What a running reader offers the registry. */
export interface RfidPort {
  tags(): RfidTagsView;
  setSecurity(uid: string, secured: boolean): Promise<RfidSecurityView>;
  program(uid: string, request: RfidProgramRequest): Promise<RfidTagView>;
}

/** The RFID service the API calls: the registry finds the reader and hands the call over. */
export interface RfidService {
  tags(readerId: string): RfidTagsView;
  setSecurity(readerId: string, uid: string, secured: boolean): Promise<RfidSecurityView>;
  program(readerId: string, uid: string, request: RfidProgramRequest): Promise<RfidTagView>;
}

/** The pad's decoder, keeping what the desk shows: type of usage, ISIL and warnings too. */
export const decodeDeskTag: TagDecoder = (memory, hints) => {
  let result = decodeTag(memory, hints);
  if (hints.dsfid !== undefined && (!result.ok || result.crc === 'invalid')) {
    // The DSFID is a hint, and a stale one on a tag re-programmed in the other data model
    // (readers cannot always rewrite it): a clean reading of the content alone wins.
    const unhinted = decodeTag(memory, hints.blockSize === undefined ? {} : { blockSize: hints.blockSize });
    if (unhinted.ok && unhinted.crc !== 'invalid' && unhinted.warnings.length === 0) result = unhinted;
  }
  if (!result.ok) return { error: result.error.code };
  const fields = result.fields as unknown as Record<string, unknown>;
  const item: RfidItemView = {
    format: result.format,
    byteOrder: result.byteOrder,
    primaryItemId: typeof fields.primaryItemId === 'string' ? fields.primaryItemId : '',
    crc: result.crc,
    warnings: result.warnings.map((w) => w.code),
  };
  const set = fields.set as { parts?: unknown; part?: unknown } | undefined;
  if (set && typeof set.parts === 'number' && typeof set.part === 'number')
    item.set = { part: set.part, parts: set.parts };
  const usage = fields.typeOfUsage as { name?: unknown } | undefined;
  if (typeof usage?.name === 'string') item.typeOfUsage = usage.name as TypeOfUsageName;
  const owner = fields.ownerLibrary;
  if (typeof owner === 'string' && owner !== '') item.ownerLibrary = owner;
  const isil =
    typeof fields.isil === 'string' ? fields.isil : result.format === '28560-2' ? owner : undefined;
  if (typeof isil === 'string' && isil !== '') item.isil = isil;
  return item;
};

const PATRON_CARD: TypeOfUsageName = 'patron-card';

function isPatronCard(item: unknown): boolean {
  return typeof item === 'object' && item !== null && (item as RfidItemView).typeOfUsage === PATRON_CARD;
}

/** A patron card's item without the patron's id: what events carry. */
function patronCardMarker(item: RfidItemView): Record<string, unknown> {
  return { format: item.format, typeOfUsage: PATRON_CARD, ...(item.isil ? { isil: item.isil } : {}) };
}

/** A tag view for audiences that may not see patron ids (MQTT responses, anyone listening). */
export function withoutPatronIds(tag: RfidTagView): RfidTagView {
  return tag.item && isPatronCard(tag.item)
    ? { ...tag, item: patronCardMarker(tag.item) as unknown as RfidItemView }
    : tag;
}

/** The pad's tags for audiences that may not see patron ids. */
export function tagsWithoutPatronIds(view: RfidTagsView): RfidTagsView {
  const patronIds = new Set(
    view.tags.filter((t) => t.item && isPatronCard(t.item)).map((t) => t.item!.primaryItemId),
  );
  return {
    tags: view.tags.map(withoutPatronIds),
    incompleteSets: view.incompleteSets.filter((set) => !patronIds.has(set.primaryItemId)),
  };
}

/**
 * The pad as the supervisor sees it, with its events made safe to publish: a patron card
 * carries the patron's id as its primary item id, so no event names it ("No patron data in
 * events"). The HTTP API, for kiosk and staff, still reads it from the pad.
 */
class PatronSafePad extends EventEmitter implements DeviceDriver {
  readonly kind = 'rfid-reader';
  /** UID → the tag holds a patron card, as last read or written (bounded). */
  private readonly patronCards = new Map<string, boolean>();

  constructor(private readonly pad: RfidPadDevice) {
    super();
    pad.on('disconnected', (error) => this.emit('disconnected', error));
    pad.on('condition', (condition) => this.emit('condition', condition));
    pad.on('event', (type, data) => this.emit('event', type, this.redact(type, data)));
  }

  get id(): string {
    return this.pad.id;
  }

  connect(): Promise<void> {
    return this.pad.connect();
  }

  disconnect(): Promise<void> {
    return this.pad.disconnect();
  }

  condition(): DeviceCondition {
    return this.pad.condition();
  }

  private redact(type: string, data: Record<string, unknown>): Record<string, unknown> {
    const uid = typeof data.uid === 'string' ? data.uid : undefined;
    if ('item' in data) {
      const patron = isPatronCard(data.item);
      if (uid) this.note(uid, patron);
      return patron ? { ...data, item: patronCardMarker(data.item as RfidItemView) } : data;
    }
    if (type === 'tag_left' && uid && this.patronCards.get(uid))
      return { ...data, primaryItemId: null, typeOfUsage: PATRON_CARD };
    if (typeof data.primaryItemId === 'string' && this.namesPatronCard(data.primaryItemId))
      return { ...data, primaryItemId: null, typeOfUsage: PATRON_CARD };
    return data;
  }

  private note(uid: string, patron: boolean): void {
    this.patronCards.delete(uid);
    this.patronCards.set(uid, patron);
    if (this.patronCards.size > 1000) this.patronCards.delete(this.patronCards.keys().next().value!);
  }

  /** Set events name a primary item id: hide it when a patron card on the pad has it. */
  private namesPatronCard(primaryItemId: string): boolean {
    return this.pad.tags().some((t) => t.item?.primaryItemId === primaryItemId && isPatronCard(t.item));
  }
}

export interface RfidReaderDeps {
  config: RfidReaderConfig;
  resolveSimulator: SimulatorResolver;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

/**
 * An RFID pad at run time: the reader's host protocol (FEIG or 3M) on its transport,
 * the pad device keeping the inventory, a supervisor keeping it connected. Its events
 * reach the bus as `rfid.tag_arrived`, `rfid.security_set`… without patron ids.
 */
export class RfidReaderEntry implements DeviceEntry {
  readonly kind = 'rfid-reader';
  private supervisor: DeviceSupervisor | undefined;
  private pad: RfidPadDevice | undefined;

  constructor(private readonly deps: RfidReaderDeps) {}

  get id(): string {
    return this.deps.config.id;
  }

  get rfid(): RfidPort {
    return {
      tags: () => {
        const pad = this.running();
        return { tags: pad.tags().map(tagView), incompleteSets: pad.incompleteSets() };
      },
      setSecurity: (uid, secured) => this.setSecurity(uid, secured),
      program: (uid, request) => this.program(uid, request),
    };
  }

  state(): DeviceState {
    return this.supervisor?.state() ?? notStartedState(this.id, this.kind, this.deps.clock.now());
  }

  async start(): Promise<void> {
    const { config, bus, clock, logger } = this.deps;
    const transport = createTransport(config.transport, this.deps.resolveSimulator, { clock });
    const timeouts = { inventory: config.inventoryTimeoutMs };
    const reader: RfidReader =
      config.protocol === 'feig'
        ? new FeigReader({ transport, clock, timeouts })
        : new ThreeMReader({ transport, clock, timeouts });
    this.pad = new RfidPadDevice({
      id: config.id,
      reader,
      clock,
      logger,
      inventoryIntervalMs: config.inventoryIntervalMs,
      leaveAfterMissedRounds: config.leaveAfterMissedRounds,
      hungAfterMissedReplies: config.hungAfterMissedReplies,
      security: config.security,
      decode: decodeDeskTag,
    });
    this.supervisor = new DeviceSupervisor({
      driver: new PatronSafePad(this.pad),
      eventFamily: 'rfid',
      clock,
      bus,
      logger,
    });
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }

  private running(): RfidPadDevice {
    if (!this.pad || !this.supervisor?.isConnected)
      throw new CarrelError('unavailable', `RFID reader "${this.id}" is not connected`);
    return this.pad;
  }

  /** The tag, if it is on the pad now (its memory read). */
  private onPad(uid: string): PadTag {
    const pad = this.running();
    const wanted = normalizeUid(uid);
    const tag = pad.tags().find((t) => t.uid === wanted);
    if (!tag) throw new CarrelError('rfid_tag_not_found', `tag ${wanted} is not on the pad "${this.id}"`);
    return tag;
  }

  private async setSecurity(uid: string, secured: boolean): Promise<RfidSecurityView> {
    const tag = this.onPad(uid);
    const outcome = await this.running().setSecurity(tag.uid, secured);
    if (outcome.status === 'failed')
      throw new CarrelError(
        'rfid_security_failed',
        `security of tag ${tag.uid} could not be set (${outcome.reason ?? 'unknown'})`,
      );
    return {
      uid: outcome.uid,
      secured: outcome.secured,
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
    };
  }

  private async program(uid: string, request: RfidProgramRequest): Promise<RfidTagView> {
    const tag = this.onPad(uid);
    const memory = encodeItem(request, tag);
    try {
      return tagView(await this.running().program(tag.uid, memory, { lock: request.lock === true }));
    } catch (error) {
      if (error instanceof RfidEncodeError) throw error;
      const { code } = describeError(error);
      const why = isTagAbsentError(error) ? 'the tag did not answer (taken off the pad?)' : code;
      throw new CarrelError('rfid_write_failed', `tag ${tag.uid} could not be written: ${why}`, {
        cause: error,
      });
    }
  }
}

/** Encodes new tag data with the ISO 28560 codecs, sized to the tag's memory (older data is zeroed). */
export function encodeItem(
  request: RfidProgramRequest,
  tag: Pick<PadTag, 'blockSize' | 'blockCount'>,
): Uint8Array {
  const blockSize = tag.blockSize ?? 4;
  const memorySize = tag.blockCount === undefined ? undefined : tag.blockCount * blockSize;
  const common = {
    primaryItemId: request.primaryItemId,
    typeOfUsage: request.typeOfUsage ?? 'circulating',
    ...(request.isil ? { ownerLibrary: request.isil } : {}),
    ...(request.set ? { set: request.set } : {}),
  };
  const sized = memorySize === undefined ? {} : { memorySize };
  if (request.format === '28560-3') {
    const layout = memorySize !== undefined && memorySize < 34 ? 32 : 34;
    return encodeIso28560Part3({ ...common, layout }, sized);
  }
  return encodeIso28560Part2(common, { ...sized, blockSize });
}

function tagView(tag: PadTag): RfidTagView {
  return {
    uid: tag.uid,
    item: tag.item ? itemView(tag.item) : null,
    secured: tag.secured ?? null,
    afi: tag.afi ?? null,
    dsfid: tag.dsfid ?? null,
    ...(tag.readError ? { readError: tag.readError } : {}),
  };
}

function itemView(item: TagItem): RfidItemView {
  const view = item as Partial<RfidItemView>;
  return { ...item, warnings: view.warnings ?? [] };
}
