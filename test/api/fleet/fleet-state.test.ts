import { describe, expect, it } from 'vitest';
import { FleetState, fleetTopicOf } from '../../../src/api/fleet/fleet-state.js';

const NOW = Date.parse('2026-12-03T09:00:00Z');

function device(id: string, status: 'online' | 'degraded' | 'offline', reason: string | null = null) {
  return JSON.stringify({
    device: id,
    kind: 'receipt-printer',
    status,
    since: '2026-12-03T08:00:00.000Z',
    reason,
    lastError: null,
    reconnects: 0,
    detail: {},
  });
}

const totals = (alarms: number, visitors: number | null, pending: number) =>
  JSON.stringify({
    day: '2026-12-03',
    alarmsToday: alarms,
    visitorsToday: visitors,
    offlinePending: pending,
    offlineConflicts: 0,
  });

describe('the fleet from retained MQTT state', () => {
  it('reads the three retained topics of a desk, and nothing else', () => {
    expect(fleetTopicOf('carrel/main/desk-1/state')).toEqual({
      site: 'main',
      gateway: 'desk-1',
      kind: 'state',
    });
    expect(fleetTopicOf('carrel/main/desk-1/totals')).toMatchObject({ kind: 'totals' });
    expect(fleetTopicOf('carrel/main/desk-1/devices/receipt-1/state')).toEqual({
      site: 'main',
      gateway: 'desk-1',
      kind: 'device',
      device: 'receipt-1',
    });
    for (const topic of [
      'carrel/main/desk-1/devices/receipt-1/events/printer.paper_out',
      'carrel/main/desk-1/clients/kiosk-1/response/x',
      'carrel/main/desk-1',
      'carrel//desk-1/state',
      'other/main/desk-1/state',
    ])
      expect(fleetTopicOf(topic)).toBeUndefined();
  });

  it('lists each desk with its devices, its problems and the totals of all desks', () => {
    const fleet = new FleetState();
    fleet.apply('carrel/north/desk-1/state', JSON.stringify({ status: 'online', since: 'x' }), NOW);
    fleet.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'online', since: 'y' }), NOW);
    fleet.apply('carrel/main/desk-1/devices/receipt-1/state', device('receipt-1', 'online'), NOW);
    fleet.apply(
      'carrel/main/desk-1/devices/receipt-2/state',
      device('receipt-2', 'offline', 'paper out'),
      NOW,
    );
    fleet.apply('carrel/main/desk-1/totals', totals(2, 40, 1), NOW);
    fleet.apply('carrel/north/desk-1/totals', totals(1, null, 3), NOW);
    const snapshot = fleet.snapshot();
    expect(snapshot.desks.map((d) => `${d.site}/${d.gateway}`)).toEqual(['main/desk-1', 'north/desk-1']);
    expect(snapshot.desks[0]!.devices.map((d) => d.device)).toEqual(['receipt-1', 'receipt-2']);
    expect(snapshot.desks[0]!.problems).toEqual([
      {
        device: 'receipt-2',
        kind: 'receipt-printer',
        status: 'offline',
        reason: 'paper out',
        lastError: null,
      },
    ]);
    expect(snapshot.totals).toEqual({
      desks: 2,
      desksOnline: 2,
      devices: 2,
      problems: 1,
      alarmsToday: 3,
      visitorsToday: 40,
      offlinePending: 4,
      offlineConflicts: 0,
    });
  });

  it('turns a desk offline on its last will, which says no since', () => {
    const fleet = new FleetState();
    fleet.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'online', since: 'y' }), NOW);
    expect(fleet.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'offline' }), NOW + 5000)).toBe(
      true,
    );
    expect(fleet.snapshot().desks[0]).toMatchObject({
      status: 'offline',
      since: null,
      seen: new Date(NOW + 5000).toISOString(),
    });
    expect(fleet.snapshot().totals.desksOnline).toBe(0);
  });

  it('built anew after a reconnect, keeps when a desk was seen going offline, unless its state changed meanwhile', () => {
    const known = new FleetState();
    known.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'offline' }), NOW);
    known.apply('carrel/main/desk-2/state', JSON.stringify({ status: 'offline', since: 'a' }), NOW);
    known.apply('carrel/main/desk-3/state', JSON.stringify({ status: 'online', since: 'b' }), NOW);
    // The broker hands the retained states again an hour later: desk-2 was started and stopped meanwhile.
    const later = NOW + 3_600_000;
    const rebuilt = new FleetState();
    rebuilt.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'offline' }), later);
    rebuilt.apply('carrel/main/desk-2/state', JSON.stringify({ status: 'offline', since: 'c' }), later);
    rebuilt.apply('carrel/main/desk-3/state', JSON.stringify({ status: 'offline' }), later);
    rebuilt.keepSeenFrom(known);
    expect(rebuilt.snapshot().desks.map((desk) => desk.seen)).toEqual([
      new Date(NOW).toISOString(),
      new Date(later).toISOString(),
      new Date(later).toISOString(),
    ]);
  });

  it('leaves out what does not parse or is not Carrel’s, counting it, and never throws', () => {
    const fleet = new FleetState();
    const bad: Array<[string, string | Buffer]> = [
      ['carrel/main/desk-1/state', 'not json'],
      ['carrel/main/desk-1/state', JSON.stringify({ status: 'sleeping' })],
      ['carrel/main/desk-1/totals', JSON.stringify({ alarmsToday: -1 })],
      ['carrel/main/desk-1/devices/a/state', device('b', 'online')],
      ['carrel/main/desk-1/devices/a/state', Buffer.from([0xff, 0xfe, 0x00])],
      ['carrel/main/desk-1/devices/a/events/x', '{}'],
    ];
    for (const [topic, payload] of bad) expect(fleet.apply(topic, payload, NOW)).toBe(false);
    expect(fleet.snapshot()).toMatchObject({ desks: [], ignored: bad.length });
  });

  it('keeps each desk’s recent days for comparing desks, and leaves out recent days that do not add up', () => {
    const fleet = new FleetState();
    const days = ['2026-12-01', '2026-12-02', '2026-12-03'];
    const counts = {
      transactions: [4, 5, 6],
      refusals: [0, 1, 0],
      visitors: [10, 20, 30],
      alarms: [0, 0, 1],
      pages: [3, 0, 9],
      cards: [1, 0, 0],
    };
    const withRecent = (recent: unknown) => JSON.stringify({ ...JSON.parse(totals(1, 30, 0)), recent });
    expect(fleet.apply('carrel/main/desk-1/totals', withRecent({ days, counts }), NOW)).toBe(true);
    expect(fleet.snapshot().desks[0]!.totals?.recent).toEqual({ days, counts });
    // One count short, or a negative one: the recent days are left out, today's totals kept.
    for (const bad of [
      { days, counts: { ...counts, pages: [1, 2] } },
      { days, counts: { ...counts, cards: [-1, 0, 0] } },
    ]) {
      expect(fleet.apply('carrel/main/desk-2/totals', withRecent(bad), NOW)).toBe(true);
      const desk = fleet.snapshot().desks.find((d) => d.gateway === 'desk-2')!;
      expect(desk.totals).toMatchObject({ alarmsToday: 1, visitorsToday: 30 });
      expect(desk.totals?.recent).toBeUndefined();
    }
  });

  it('forgets what a cleared retained message said, and a desk with nothing left', () => {
    const fleet = new FleetState();
    fleet.apply('carrel/main/desk-1/state', JSON.stringify({ status: 'online', since: 'y' }), NOW);
    fleet.apply('carrel/main/desk-1/devices/receipt-1/state', device('receipt-1', 'online'), NOW);
    fleet.apply('carrel/main/desk-1/devices/receipt-1/state', '', NOW);
    expect(fleet.snapshot().desks[0]!.devices).toEqual([]);
    fleet.apply('carrel/main/desk-1/state', '', NOW);
    expect(fleet.snapshot().desks).toEqual([]);
  });
});
