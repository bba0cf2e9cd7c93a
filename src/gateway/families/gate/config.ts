import { z } from 'zod';
import { deviceIdSchema, portSchema, transportSchema } from '../../config/transport.js';

const afiByte = z.number().int().min(0).max(255);

/** A local time of day, `HH:MM` (24 h), on the machine's clock. */
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time of day, HH:MM (24 h)');

/**
 * A gate's IP address, v4 or v6: a connection is known by the address it comes from, so a host
 * name (never resolved here) or a mistyped address would match none.
 */
const gateAddress = z.union([z.ipv4(), z.ipv6()], {
  error:
    "must be the gate's IP address, such as 192.0.2.60: its notifications are taken by the address they come from, so a host name or a mistyped address would match none and its alarms would never reach the desk",
});

/** When a tag passing the gate alarms. The gate's own filter is trusted where the reader reports no AFI/EAS. */
export const gateAlarmPolicySchema = z
  .strictObject({
    /**
     * `afi`: the item's AFI is the library's "secured" value; `eas`: the NXP EAS bit is set; `afi+eas`:
     * either. These decide at once, never waiting for anything. `ils`: ask the ILS (item information)
     * and alarm unless the item is charged; `afi-or-ils`: alarm at once when the AFI says secured,
     * otherwise ask the ILS as `ils` does.
     */
    method: z.enum(['afi', 'eas', 'afi+eas', 'ils', 'afi-or-ils']).default('afi'),
    /** AFI of an item that is in the library (not lent): 0x07 by ISO 28560; per site, never assumed. */
    securedAfi: afiByte.default(0x07),
    /**
     * Tags that never alarm: item barcodes or tag UIDs of things that are not library items
     * (a basket, a trolley, the desk's test tag). Patron cards never alarm in any case.
     */
    ignore: z.array(z.string().min(1).max(64)).max(1000).default([]),
    /**
     * The same tag read again within this long of its last read is the same passage: one alarm, not
     * twenty, and one for a patron standing in the gate however long the gate keeps reading the book.
     */
    repeatSeconds: z.number().min(0.1).max(600).default(3),
    /**
     * `ils`, `afi-or-ils`: the longest the decision waits for the ILS's answer. Without one in time
     * (or with no ILS at all) the tag's AFI decides, or what the gate reported, and the alarm says so.
     */
    ilsTimeoutMs: z.number().int().min(50).max(10_000).default(1000),
    /** Alarms are kept in the alarm history this many days. */
    historyDays: z.number().int().min(1).max(3650).default(90),
  })
  .prefault({});

/** Which way a person went, from the antenna that read the tag (the gate's wiring; FEIG antenna byte). */
const directionByAntenna = z.strictObject({
  in: z.array(z.number().int().min(0).max(255)).max(8).default([]),
  out: z.array(z.number().int().min(0).max(255)).max(8).default([]),
});

/** The shortest counter interval for a gate on the network, and for the simulated gate. */
export const REAL_GATE_COUNT_MIN_SECONDS = 5;
export const SIMULATED_COUNT_MIN_SECONDS = 1;

/** The gate's people counter, as Carrel keeps it: polled, in 15-minute counts. */
export const gateVisitorsSchema = z
  .strictObject({
    /**
     * How often the counter is read (0: never; the counts then come only from API reads). A FEIG
     * gate sends no documented notification when it counts someone, so the counter is asked over
     * the command port: every 60 s keeps today's figures a minute fresh at most, and nothing is lost
     * between readings (the counter is cumulative). A real gate is read at most every 5 s; the
     * simulated gate, in process, as often as every second.
     */
    countIntervalSeconds: z
      .union([z.literal(0), z.number().int().min(SIMULATED_COUNT_MIN_SECONDS).max(3600)])
      .default(60),
    /**
     * The counting day starts here: today's in/out and the occupancy start again from zero, and the
     * gate's own counter is read and set to zero (nothing counted before is lost).
     */
    dailyReset: timeOfDay.default('00:00'),
    /** The library opens: the occupancy counts from here (from the daily reset until then). */
    openingTime: timeOfDay.optional(),
    /** The 15-minute counts are kept this many days (as the desk statistics: a year and a month). */
    retentionDays: z.number().int().min(1).max(3650).default(400),
  })
  .prefault({});

/** A FEIG gate reader in notification mode: the gate dials Carrel; Carrel dials its command port. */
const feigNotificationGate = z.strictObject({
  driver: z.literal('feig-notification'),
  /** Where Carrel listens for this gate's notifications (the gate's CFG49 DEST-IP and DEST-PORT); gates on one host and port share it. */
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('0.0.0.0 for a gate on the network'),
      port: portSchema.default(10010),
    })
    .prefault({}),
  /** The gate's IP address: only connections from it are taken (the allow-list). */
  address: gateAddress.default('127.0.0.1'),
  /** The gate's own command port (alarm loops, people counter): tcp to the reader, or a simulator. */
  transport: transportSchema.optional(),
  /** No notification or keep-alive for this long: the notification link is down (0: no keep-alives). */
  keepAliveTimeoutSeconds: z.number().min(0).max(3600).default(15),
  /** The gate waits for each notification to be acknowledged ([0x32]), CFG49 ACK mode. */
  ack: z.boolean().default(false),
  /**
   * What the gate's reader notifies, as it is set up: `secured`, only the tags its own AFI or EAS
   * filter counts secured (a notification carries no AFI or EAS bit, so each tag reported is taken as
   * secured); `all`, every tag passing (no filter of its own). A gate that reports every tag cannot
   * alarm by afi, eas or afi+eas — nothing says which tags are secured — only by asking the ILS.
   */
  reports: z.enum(['secured', 'all']).default('secured'),
  /** The people counter (needs the command port). */
  visitors: gateVisitorsSchema,
});

/** An ordinary RFID reader at a doorway, polled, its tags debounced into passages. */
const readerGate = z.strictObject({
  driver: z.literal('reader'),
  /** FEIG advanced host protocol or the 3M pad protocol. */
  protocol: z.enum(['feig', '3m']),
  transport: transportSchema,
  /** Pause between inventory rounds. */
  inventoryIntervalMs: z.number().int().min(20).max(10_000).default(100),
  /**
   * Also read the NXP EAS bit (one more command per tag). Left out, it is read where the alarm
   * looks at it (`alarm.method` eas or afi+eas) and not otherwise.
   */
  checkEas: z.boolean().optional(),
});

const gateCommon = {
  id: deviceIdSchema,
  kind: z.literal('gate'),
  name: z.string().optional(),
  alarm: gateAlarmPolicySchema,
  /** Which antenna reads a person walking in or out; an alarm then says its direction. */
  directionByAntenna: directionByAntenna.optional(),
};

export const gateSchema = z.discriminatedUnion('driver', [
  feigNotificationGate.extend(gateCommon),
  readerGate.extend(gateCommon),
]);
export type GateConfig = z.infer<typeof gateSchema>;

/** Whether an alarm method looks at a tag's EAS bit. */
export function readsEas(method: GateAlarmPolicy['method']): boolean {
  return method === 'eas' || method === 'afi+eas';
}
export type GateAlarmPolicy = z.infer<typeof gateAlarmPolicySchema>;
export type GateVisitorsConfig = z.infer<typeof gateVisitorsSchema>;
export type GateDirections = z.infer<typeof directionByAntenna>;
