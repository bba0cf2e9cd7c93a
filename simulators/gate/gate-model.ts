/**
 * What the simulated gate knows: its configuration blocks (the alarm in block 9, stored by
 * `[0x8B]` and taken into use by a CPU reset, as on the reader), the people counters, and the
 * tags of people walking through. Items come as sample-library barcodes (encoded ISO 28560-3,
 * owner SE-RPL, with the repository's own encoder) or as raw memory, each tag with its AFI and its
 * NXP EAS bit. The gate watches what it is set to (its reader's AFI filter, the EAS bit, or
 * either) as a real gate is configured: a tag secured by that sets the alarm off, and only such
 * tags are reported in its notifications (unless it reports every tag).
 */
import { z } from 'zod';
import {
  FEIG_TR_TYPE_ISO15693,
  type FeigTagRecord,
  GATE_ALARM_BLOCK,
  GATE_ALARM_LOOPS,
  GATE_CONFIG_BLOCK_SIZE,
  gateAlarmState,
  type PeopleCounts,
  withGateAlarm,
} from '../../src/protocols/feig/index.js';
import { itemTagMemory, SECURED_AFI, UNSECURED_AFI } from '../../src/protocols/rfid/index.js';
import { SAMPLE_OWNER_LIBRARY } from '../rfid-pad/item-tags.js';

const memoryHex = z
  .string()
  .regex(/^([0-9A-Fa-f]{2})+$/, 'must be whole bytes of hex')
  .max(2048);

const afiByte = z.number().int().min(0).max(255);

const uidHex = z.string().regex(/^[0-9A-Fa-f]{16}$/, 'must be 16 hex digits');

/**
 * What a tag's security holds, beside the item: `secured` sets both its AFI (the gate's secured
 * AFI on the shelf, 0xC2 on loan) and its NXP EAS bit (on, off) as a desk securing by both writes them; `afi` and
 * `eas` say one of them otherwise (a tag half secured, a site's own AFI).
 */
const tagSecurity = {
  uid: uidHex.optional(),
  secured: z.boolean().optional(),
  afi: afiByte.optional(),
  eas: z.boolean().optional(),
};

export const passageSchema = z.strictObject({
  direction: z.enum(['in', 'out']),
  /** Item barcodes (ISO 28560-3 tags of the sample library), or such an item or raw tag memory with its security. */
  items: z
    .array(
      z.union([
        z
          .string()
          .min(1)
          .max(32)
          .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'),
        z.strictObject({
          item: z
            .string()
            .min(1)
            .max(32)
            .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'),
          ...tagSecurity,
        }),
        z.strictObject({ memoryHex, ...tagSecurity }),
      ]),
    )
    .max(64)
    .default([]),
  /** Each tag's AFI the gate's secured one (0x07) and EAS bit on, as on the shelf, unless false (0xC2 and EAS off: on loan). */
  secured: z.boolean().default(true),
});

export type Passage = z.input<typeof passageSchema>;

/** What a gate watches to alarm: the AFI (its reader's AFI filter), the NXP EAS bit, or either. */
export type GateWatch = 'afi' | 'eas' | 'afi+eas';

export interface PassageTag {
  uid: string;
  item: string | null;
  afi: number;
  eas: boolean;
  /** Secured as this gate watches: its AFI is the secured one, its EAS bit set, or either (`afi+eas`). */
  secured: boolean;
}

export interface PassageResult {
  direction: 'in' | 'out';
  tags: PassageTag[];
  /** Secured items went through while the alarm was on. */
  alarmed: boolean;
  /** Records the gate reports (secured tags only, unless it reports all). */
  records: FeigTagRecord[];
}

export interface GateModelOptions {
  alarmOn: boolean;
  /** Loop mask of the gate: 0x0F two loops, 0x03 one. */
  loops: number;
  /** What makes a tag secured to this gate: its AFI, its EAS bit, or either. */
  watch: GateWatch;
  /** The AFI of an item in the library (0x07 by ISO 28560; a site may use its own). */
  securedAfi: number;
  /** Report every tag, not only secured ones (a gate reading without an AFI filter). */
  reportAllTags: boolean;
  /** Data blocks (4 bytes each) read with each tag. */
  dataBlocks: number;
}

/** The largest a people counter gets: IN and OUT are four bytes each in the [0x9F] reply. */
export const COUNTER_MAX = 0xffffffff;

export class GateModel {
  private readonly stored = new Map<number, Uint8Array>();
  private active: Uint8Array;
  counts: PeopleCounts = { in: 0, out: 0 };
  passages = 0;
  alarms = 0;
  cpuResets = 0;

  constructor(private readonly options: GateModelOptions) {
    const block = withGateAlarm(new Uint8Array(GATE_CONFIG_BLOCK_SIZE), options.alarmOn, options.loops);
    this.stored.set(GATE_ALARM_BLOCK, block);
    this.active = Uint8Array.from(block);
  }

  /** A configuration block as stored (zeros if never written). */
  readBlock(block: number): Uint8Array {
    return Uint8Array.from(this.stored.get(block) ?? new Uint8Array(GATE_CONFIG_BLOCK_SIZE));
  }

  writeBlock(block: number, data: Uint8Array): void {
    this.stored.set(block, Uint8Array.from(data));
  }

  /** The reader restarts and takes its stored configuration into use. */
  cpuReset(): void {
    this.cpuResets++;
    this.active = this.readBlock(GATE_ALARM_BLOCK);
  }

  /** The alarm in use now, and as configured (differs until a CPU reset). */
  alarm(): { on: boolean; loops: number; configuredOn: boolean } {
    const active = gateAlarmState(this.active);
    return {
      on: active.on,
      loops: active.loops,
      configuredOn: gateAlarmState(this.readBlock(GATE_ALARM_BLOCK)).on,
    };
  }

  /** What the gate watches to alarm, and the AFI it counts secured. */
  watching(): { watch: GateWatch; securedAfi: number } {
    return { watch: this.options.watch, securedAfi: this.options.securedAfi };
  }

  resetCounts(): void {
    this.counts = { in: 0, out: 0 };
  }

  /**
   * Sets the people counters, as a gate put in from stock or one that has counted for years has
   * them: each 0..4294967295 (four bytes on the wire); one left out keeps its value.
   */
  setCounts(counts: Partial<PeopleCounts>): void {
    for (const value of [counts.in, counts.out])
      if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > COUNTER_MAX))
        throw new RangeError(`a people counter is 0..${COUNTER_MAX}, got ${value}`);
    this.counts = { in: counts.in ?? this.counts.in, out: counts.out ?? this.counts.out };
  }

  /** One person walks through with these items. */
  walk(passage: z.output<typeof passageSchema>): PassageResult {
    this.passages++;
    // Four bytes on the wire, as the gate keeps it: after 4294967295 it counts on from 0.
    this.counts[passage.direction] = (this.counts[passage.direction] + 1) % (COUNTER_MAX + 1);
    const tags = passage.items.map((item) => this.tagOf(item, passage.secured));
    const alarmed = this.alarm().on && tags.some((tag) => tag.secured);
    if (alarmed) this.alarms++;
    const bytes = this.options.dataBlocks * 4;
    const records = tags
      .filter((tag) => tag.secured || this.options.reportAllTags)
      .map((tag): FeigTagRecord => {
        const memory = new Uint8Array(bytes);
        memory.set(tag.memory.subarray(0, bytes));
        return {
          transponderType: FEIG_TR_TYPE_ISO15693,
          iddInfo: 0,
          uid: tag.uid,
          blocks: { count: this.options.dataBlocks, size: 4, memory },
          antenna: passage.direction === 'in' ? 0x01 : 0x02,
        };
      });
    return { direction: passage.direction, tags: tags.map(({ memory: _, ...tag }) => tag), alarmed, records };
  }

  private tagOf(
    item: z.output<typeof passageSchema>['items'][number],
    passageSecured: boolean,
  ): PassageTag & { memory: Uint8Array } {
    if (typeof item === 'string') return this.itemTag(item, { secured: passageSecured });
    const security = { ...item, secured: item.secured ?? passageSecured };
    if ('item' in item) return this.itemTag(item.item, security);
    return {
      uid: (item.uid ?? uidFor(item.memoryHex)).toUpperCase(),
      item: null,
      ...this.securityOf(security),
      memory: Uint8Array.from(Buffer.from(item.memoryHex, 'hex')),
    };
  }

  /** A sample-library item's tag: the same UID on every walk unless one is given. */
  private itemTag(item: string, security: TagSecurity): PassageTag & { memory: Uint8Array } {
    return {
      uid: (security.uid ?? uidFor(item)).toUpperCase(),
      item,
      ...this.securityOf(security),
      memory: itemTagMemory({ id: item, owner: SAMPLE_OWNER_LIBRARY }),
    };
  }

  /**
   * A tag's AFI and EAS bit (`secured` sets both — the AFI to this gate's secured one, or 0xC2 —
   * `afi` or `eas` one of them), and whether this gate counts it secured by what it watches.
   */
  private securityOf(security: TagSecurity): { afi: number; eas: boolean; secured: boolean } {
    const { watch, securedAfi } = this.options;
    const afi = security.afi ?? (security.secured ? securedAfi : UNSECURED_AFI);
    const eas = security.eas ?? security.secured;
    const byAfi = watch !== 'eas' && afi === securedAfi;
    const byEas = watch !== 'afi' && eas;
    return { afi, eas, secured: byAfi || byEas };
  }
}

interface TagSecurity {
  uid?: string | undefined;
  secured: boolean;
  afi?: number | undefined;
  eas?: boolean | undefined;
}

/** A stable NXP-looking UID per item: the same book has the same tag on every walk. */
function uidFor(key: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(key, 'utf8'))
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffn;
  return `E00401${hash.toString(16).padStart(10, '0')}`.toUpperCase();
}

export const DEFAULT_GATE_MODEL: GateModelOptions = {
  alarmOn: true,
  loops: GATE_ALARM_LOOPS.two,
  watch: 'afi',
  securedAfi: SECURED_AFI,
  reportAllTags: false,
  dataBlocks: 9,
};
