/**
 * The fleet as central IT sees it from one broker: every desk publishing under
 * `carrel/<site>/<gateway>`, built only from what the desks keep retained there — the gateway
 * `state` (its last will says `offline`), each device's `devices/<id>/state` and the desk's
 * `totals`. Pure: messages in, a snapshot out; no I/O, no timers.
 *
 * A message that is not one of these, or whose payload does not parse, is counted and left
 * out; it never throws. An empty retained payload (a retained message cleared) forgets what it
 * said.
 */
import { z } from 'zod';
import type { DeviceState } from '../../devices/device-state.js';
import {
  type DeskTotals,
  RECENT_DAYS,
  RECENT_MEASURES,
  type RecentMeasure,
} from '../../gateway/desk-totals.js';

/** What central IT subscribes to: every desk's retained state, on any site. */
export const FLEET_FILTERS = ['carrel/+/+/state', 'carrel/+/+/totals', 'carrel/+/+/devices/+/state'];

export type DeskStatus = 'online' | 'offline' | 'unknown';

export interface FleetProblem {
  device: string;
  kind: string;
  status: DeviceState['status'];
  reason: string | null;
  lastError: DeviceState['lastError'];
}

export interface FleetDesk {
  site: string;
  gateway: string;
  /** From the desk's retained `state`: `offline` once its last will was published or it stopped. */
  status: DeskStatus;
  /** Since when, as the desk said; null in a last will (the broker cannot know). */
  since: string | null;
  /** When this viewer saw the status change (ISO). */
  seen: string;
  /** Every device, as the desk last published it (sorted by id). Stale while the desk is offline. */
  devices: DeviceState[];
  /** Devices not online, with why. */
  problems: FleetProblem[];
  totals: DeskTotals | null;
  /**
   * Whether the totals' day counts (alarms, visitors) are today's: always while the desk is
   * online (it publishes new totals as its day turns), and for an offline desk only when its
   * totals are for the fleet's today — a desk switched off last night left yesterday's.
   */
  totalsToday: boolean;
}

export interface FleetTotals {
  desks: number;
  desksOnline: number;
  devices: number;
  problems: number;
  alarmsToday: number;
  visitorsToday: number;
  offlinePending: number;
  offlineConflicts: number;
}

export interface FleetSnapshot {
  /**
   * The fleet's today, `YYYY-MM-DD`: the newest day an online desk's totals are for, or, with no
   * desk online, this viewer's local day. Today's totals sum only the desks whose counts are for it.
   */
  today: string;
  desks: FleetDesk[];
  totals: FleetTotals;
  /** Messages left out (not Carrel's, or a payload that did not parse), since the start. */
  ignored: number;
}

const statusSchema = z.object({
  status: z.enum(['online', 'offline']),
  since: z.string().optional(),
});

const deviceStateSchema = z.object({
  device: z.string(),
  kind: z.string(),
  status: z.enum(['online', 'degraded', 'offline']),
  since: z.string(),
  reason: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
  reconnects: z.number(),
  detail: z.record(z.string(), z.unknown()),
});

const count = z.number().int().min(0);
const dayCounts = z.array(count).max(RECENT_DAYS);
const recentSchema = z
  .object({
    days: z.array(z.string().regex(/^\d{4}-\d\d-\d\d$/)).max(RECENT_DAYS),
    counts: z.object(
      Object.fromEntries(RECENT_MEASURES.map((name) => [name, dayCounts])) as Record<
        RecentMeasure,
        typeof dayCounts
      >,
    ),
  })
  .refine((recent) => Object.values(recent.counts).every((counts) => counts.length === recent.days.length), {
    message: 'one count per day',
  });
const totalsSchema = z.object({
  day: z.string(),
  alarmsToday: count,
  visitorsToday: count.nullable(),
  offlinePending: count,
  offlineConflicts: count,
  // A desk of an older version sends none; a malformed one is left out, not the whole totals.
  recent: recentSchema.optional().catch(undefined),
});

/** A topic of the fleet: whose, and which of the three retained kinds. */
export type FleetTopic =
  | { site: string; gateway: string; kind: 'state' | 'totals' }
  | { site: string; gateway: string; kind: 'device'; device: string };

export function fleetTopicOf(topic: string): FleetTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== 'carrel' || levels.some((level) => level === '')) return undefined;
  const [, site, gateway, fourth, device, last] = levels as [string, string, string, string, string, string];
  if (levels.length === 4 && (fourth === 'state' || fourth === 'totals'))
    return { site, gateway, kind: fourth };
  if (levels.length === 6 && fourth === 'devices' && last === 'state')
    return { site, gateway, kind: 'device', device };
  return undefined;
}

interface DeskRecord {
  site: string;
  gateway: string;
  status: DeskStatus;
  since: string | null;
  seen: string;
  devices: Map<string, DeviceState>;
  totals: DeskTotals | null;
}

export class FleetState {
  private readonly desks = new Map<string, DeskRecord>();
  private ignored = 0;

  /** Takes one message; true when the fleet changed. `now` is when it arrived (epoch ms). */
  apply(topic: string, payload: Buffer | string, now: number): boolean {
    const where = fleetTopicOf(topic);
    if (!where) {
      this.ignored++;
      return false;
    }
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    const key = `${where.site}/${where.gateway}`;
    if (text.length === 0) return this.forget(key, where);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.ignored++;
      return false;
    }
    switch (where.kind) {
      case 'state': {
        const parsed = statusSchema.safeParse(json);
        if (!parsed.success) return this.reject();
        const desk = this.desk(key, where, now);
        const since = parsed.data.since ?? null;
        if (desk.status === parsed.data.status && desk.since === since) return false;
        if (desk.status !== parsed.data.status) desk.seen = new Date(now).toISOString();
        desk.status = parsed.data.status;
        desk.since = since;
        return true;
      }
      case 'totals': {
        const parsed = totalsSchema.safeParse(json);
        if (!parsed.success) return this.reject();
        const { recent, ...today } = parsed.data;
        this.desk(key, where, now).totals = recent ? { ...today, recent } : today;
        return true;
      }
      case 'device': {
        const parsed = deviceStateSchema.safeParse(json);
        if (!parsed.success || parsed.data.device !== where.device) return this.reject();
        this.desk(key, where, now).devices.set(where.device, parsed.data);
        return true;
      }
    }
  }

  /** The fleet as of `now` (epoch ms), which says the viewer's local day when no desk is online. */
  snapshot(now: number = Date.now()): FleetSnapshot {
    const records = [...this.desks.values()].sort(
      (a, b) => a.site.localeCompare(b.site) || a.gateway.localeCompare(b.gateway),
    );
    const today = fleetToday(records, now);
    const desks = records.map((desk) => view(desk, today));
    const totals: FleetTotals = {
      desks: desks.length,
      desksOnline: 0,
      devices: 0,
      problems: 0,
      alarmsToday: 0,
      visitorsToday: 0,
      offlinePending: 0,
      offlineConflicts: 0,
    };
    for (const desk of desks) {
      if (desk.status === 'online') totals.desksOnline++;
      totals.devices += desk.devices.length;
      totals.problems += desk.problems.length;
      // The journal's backlog is still waiting whatever day it was counted; an earlier day's
      // alarms and visitors are not today's.
      if (desk.totalsToday) {
        totals.alarmsToday += desk.totals?.alarmsToday ?? 0;
        totals.visitorsToday += desk.totals?.visitorsToday ?? 0;
      }
      totals.offlinePending += desk.totals?.offlinePending ?? 0;
      totals.offlineConflicts += desk.totals?.offlineConflicts ?? 0;
    }
    return { today, desks, totals, ignored: this.ignored };
  }

  /**
   * Takes from `previous` (the fleet as known before the link to the broker was lost) when this
   * viewer saw each desk's status change, for every desk whose status (and its `since`) is the same
   * now: the broker
   * handing its retained messages again after a reconnect is no news of the desk. A desk dead
   * since last night (its last will carries no time) keeps the time it was seen going offline.
   */
  keepSeenFrom(previous: FleetState): void {
    for (const [key, desk] of this.desks) {
      const before = previous.desks.get(key);
      if (before && before.status === desk.status && before.since === desk.since) desk.seen = before.seen;
    }
  }

  private desk(key: string, where: FleetTopic, now: number): DeskRecord {
    let desk = this.desks.get(key);
    if (!desk) {
      desk = {
        site: where.site,
        gateway: where.gateway,
        status: 'unknown',
        since: null,
        seen: new Date(now).toISOString(),
        devices: new Map(),
        totals: null,
      };
      this.desks.set(key, desk);
    }
    return desk;
  }

  private forget(key: string, where: FleetTopic): boolean {
    const desk = this.desks.get(key);
    if (!desk) return false;
    if (where.kind === 'device') desk.devices.delete(where.device);
    else if (where.kind === 'totals') desk.totals = null;
    else desk.status = 'unknown';
    if (desk.status === 'unknown' && desk.devices.size === 0 && desk.totals === null) this.desks.delete(key);
    return true;
  }

  private reject(): false {
    this.ignored++;
    return false;
  }
}

/** The newest day an online desk counts for, or the viewer's local day when none is online. */
function fleetToday(desks: readonly DeskRecord[], now: number): string {
  let today: string | undefined;
  for (const desk of desks)
    if (desk.status === 'online' && desk.totals && (today === undefined || desk.totals.day > today))
      today = desk.totals.day;
  if (today !== undefined) return today;
  const date = new Date(now);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function view(desk: DeskRecord, today: string): FleetDesk {
  const devices = [...desk.devices.values()].sort((a, b) => a.device.localeCompare(b.device));
  return {
    site: desk.site,
    gateway: desk.gateway,
    status: desk.status,
    since: desk.since,
    seen: desk.seen,
    devices,
    problems: devices
      .filter((device) => device.status !== 'online')
      .map(({ device, kind, status, reason, lastError }) => ({ device, kind, status, reason, lastError })),
    totals: desk.totals,
    totalsToday: desk.totals !== null && (desk.status === 'online' || desk.totals.day >= today),
  };
}
