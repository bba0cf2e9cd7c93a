/**
 * What the simulated gate knows: its configuration blocks (the alarm in block 9, stored by
 * `[0x8B]` and taken into use by a CPU reset, as on the reader), the people counters, and the
 * tags of people walking through. Items come as sample-library barcodes (encoded ISO 28560-3,
 * owner SE-RPL, with the repository's own encoder) or as raw memory.
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

export const passageSchema = z.strictObject({
  direction: z.enum(['in', 'out']),
  /** Item barcodes (ISO 28560-3 tags of the sample library) or raw tag memory. */
  items: z
    .array(
      z.union([
        z
          .string()
          .min(1)
          .max(32)
          .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'),
        z.strictObject({
          memoryHex,
          uid: z
            .string()
            .regex(/^[0-9A-Fa-f]{16}$/)
            .optional(),
          secured: z.boolean().optional(),
        }),
      ]),
    )
    .max(64)
    .default([]),
  /** AFI 0x07 as on the shelf (the gate alarms) unless false (0xC2, on loan). */
  secured: z.boolean().default(true),
});

export type Passage = z.input<typeof passageSchema>;

export interface PassageTag {
  uid: string;
  item: string | null;
  afi: number;
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
  /** Report every tag, not only secured ones (a gate reading without an AFI filter). */
  reportAllTags: boolean;
  /** Data blocks (4 bytes each) read with each tag. */
  dataBlocks: number;
}

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

  resetCounts(): void {
    this.counts = { in: 0, out: 0 };
  }

  /** One person walks through with these items. */
  walk(passage: z.output<typeof passageSchema>): PassageResult {
    this.passages++;
    this.counts[passage.direction]++;
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
    secured: boolean,
  ): PassageTag & { memory: Uint8Array } {
    if (typeof item === 'string') {
      const memory = itemTagMemory({ id: item, owner: SAMPLE_OWNER_LIBRARY });
      return { uid: uidFor(item), item, ...security(secured), memory };
    }
    const memory = Uint8Array.from(Buffer.from(item.memoryHex, 'hex'));
    return {
      uid: (item.uid ?? uidFor(item.memoryHex)).toUpperCase(),
      item: null,
      ...security(item.secured ?? secured),
      memory,
    };
  }
}

function security(secured: boolean): { afi: number; secured: boolean } {
  return { afi: secured ? SECURED_AFI : UNSECURED_AFI, secured };
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
  reportAllTags: false,
  dataBlocks: 9,
};
