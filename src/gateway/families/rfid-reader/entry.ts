import { CarrelError, describeError } from '../../../core/errors.js';
import {
  FeigReader,
  type PadTag,
  RfidPadDevice,
  type RfidReader,
  readerFailureInWords,
  type TagItem,
  ThreeMReader,
} from '../../../devices/rfid/index.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { normalizeUid } from '../../../protocols/iso15693/uid.js';
import { RfidEncodeError } from '../../../protocols/rfid/index.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import type { FamilyContext } from '../../family.js';
import type { RfidReaderConfig } from './config.js';
import { dsfidOf, encodeItem } from './encode.js';

import type {
  RfidItemView,
  RfidProgramRequest,
  RfidReaderPort,
  RfidSecurityView,
  RfidTagView,
} from './port.js';

/**
 * An RFID pad at run time: the reader's host protocol (FEIG or 3M) on its transport,
 * the pad device keeping the inventory, a supervisor keeping it connected. Its events
 * reach the bus as `rfid.tag_arrived`, `rfid.security_set`… with full tag data; the
 * API edge hides patron card ids.
 */
export class RfidReaderEntry extends SupervisedEntry<RfidReaderPort, RfidReaderConfig> {
  readonly port: RfidReaderPort = {
    tags: () => {
      const pad = this.running();
      return { tags: pad.tags().map(tagView), incompleteSets: pad.incompleteSets() };
    },
    tagsNow: () => this.tagsNow(),
    holdsSecurity: (tag, secured) => this.pad?.holdsSecurity(tag, secured) ?? null,
    setSecurity: (uid, secured) => this.setSecurity(uid, secured),
    program: (uid, request) => this.program(uid, request),
  };
  private pad: RfidPadDevice | undefined;

  constructor(config: RfidReaderConfig, context: FamilyContext) {
    super(config, context);
  }

  async start(): Promise<void> {
    const { config } = this;
    const { bus, clock, logger } = this.context;
    const transport = createTransport(config.transport, this.context.simulators, { clock });
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
    });
    this.supervisor = new DeviceSupervisor({
      driver: this.pad,
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

  /**
   * The pad, its reader connected. While the reader is away the pad's tags are only the last
   * seen: a payment or a card must not act on a card taken off meanwhile, so none are answered.
   */
  private running(): RfidPadDevice {
    if (!this.pad || !this.supervisor?.isConnected) {
      const why = this.supervisor?.state().reason;
      throw new CarrelError(
        'unavailable',
        `RFID reader "${this.id}" is not connected${why ? ` (${why})` : ''}: ` +
          'what lies on its pad is not known until the reader answers again',
      );
    }
    return this.pad;
  }

  private async tagsNow(): Promise<RfidTagView[]> {
    const pad = this.running();
    try {
      return (await pad.tagsNow()).map(tagView);
    } catch (error) {
      throw new CarrelError(
        'unavailable',
        `RFID reader "${this.id}" could not take an inventory now (${describeError(error).message}): ` +
          'what lies on its pad is not known',
        { cause: error },
      );
    }
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
        `security of tag ${tag.uid} could not be set: ${readerFailureInWords(outcome.reason ?? 'unknown', 'security')}`,
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
      return tagView(
        await this.running().program(tag.uid, memory, {
          lock: request.lock === true,
          dsfid: dsfidOf(request.format),
        }),
      );
    } catch (error) {
      if (error instanceof RfidEncodeError) throw error;
      const { code } = describeError(error);
      const why = readerFailureInWords(code, 'data');
      // Its replies garbled and the tag not read back: it may hold the new data; not "failed".
      if (code === 'rfid_write_unknown')
        throw new CarrelError(
          'rfid_write_unknown',
          `tag ${tag.uid} may or may not have been written: ${why}`,
          {
            cause: error,
          },
        );
      throw new CarrelError('rfid_write_failed', `tag ${tag.uid} could not be written: ${why}`, {
        cause: error,
      });
    }
  }
}

function tagView(tag: PadTag): RfidTagView {
  return {
    uid: tag.uid,
    item: tag.item ? itemView(tag.item) : null,
    secured: tag.secured ?? null,
    afi: tag.afi ?? null,
    eas: tag.eas ?? null,
    dsfid: tag.dsfid ?? null,
    ...(tag.readError ? { readError: tag.readError } : {}),
  };
}

function itemView(item: TagItem): RfidItemView {
  const view = item as Partial<RfidItemView>;
  return { ...item, warnings: view.warnings ?? [] };
}
