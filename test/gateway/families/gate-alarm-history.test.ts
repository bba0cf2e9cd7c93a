import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acknowledgeAlarm, alarmPage } from '../../../src/gateway/families/gate/across-gates.js';
import { GATE_ALARM_MIGRATIONS, GateAlarmHistory } from '../../../src/gateway/families/gate/alarm-history.js';
import type { GateAlarmEvent } from '../../../src/gateway/families/gate/events.js';
import type { GatePort } from '../../../src/gateway/families/gate/port.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

/** The alarm history staff page through and acknowledge: SQLite in memory, two gates side by side. */
let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

const T0 = Date.UTC(2026, 11, 2, 10);

function alarm(n: number, at: number, extra: Partial<GateAlarmEvent> = {}): GateAlarmEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    uid: `E00401000000${String(n).padStart(4, '0')}`,
    item: { id: `3100${String(n).padStart(4, '0')}`, format: '28560-3' },
    memoryHex: null,
    reason: 'reported',
    ils: null,
    direction: 'out',
    afi: null,
    eas: null,
    antenna: 2,
    rssi: null,
    time: new Date(at).toISOString(),
    ...extra,
  };
}

function twoGates() {
  db = openDatabase(':memory:');
  const stores = {
    'exit-1': new GateAlarmHistory(db, 'exit-1'),
    'exit-2': new GateAlarmHistory(db, 'exit-2'),
  };
  const gates = Object.entries(stores).map(([id, store]) => ({
    id,
    port: {
      alarmHistory: (query) => store.list(query),
      acknowledgeAlarm: (alarmId, who) => store.acknowledge(alarmId, who, T0 + 3_600_000),
    } as GatePort,
  }));
  return { stores, gates };
}

describe('the alarm history of a gate', () => {
  it('keeps when, which way, which item, why, and the title, call number and location once known', () => {
    const { stores } = twoGates();
    const store = stores['exit-1'];
    store.record(alarm(1, T0, { reason: 'ils', ils: 'not_charged' }));
    expect(store.get(alarm(1, T0).id)?.lookup).toBeNull();
    store.answered(alarm(1, T0).id, {
      known: true,
      title: 'Middlemarch',
      callNumber: '823 ELI',
      permanentLocation: 'MAIN',
      circulationStatus: 'available',
    });
    expect(store.get(alarm(1, T0).id)).toEqual({
      id: alarm(1, T0).id,
      gate: 'exit-1',
      time: '2026-12-02T10:00:00.000Z',
      direction: 'out',
      item: '31000001',
      uid: 'E004010000000001',
      title: 'Middlemarch',
      lookup: {
        answered: true,
        known: true,
        callNumber: '823 ELI',
        permanentLocation: 'MAIN',
        circulationStatus: 'available',
      },
      reason: 'ils',
      ils: 'not_charged',
      acknowledged: null,
    });
    // Another gate's store does not see it.
    expect(stores['exit-2'].get(alarm(1, T0).id)).toBeUndefined();
  });

  it('keeps what the title lookup came to: an item the ILS does not know, or why it said nothing', () => {
    const { stores } = twoGates();
    const store = stores['exit-1'];
    store.record(alarm(1, T0));
    store.record(alarm(2, T0 + 1000));
    store.answered(alarm(1, T0).id, {
      known: false,
      title: null,
      callNumber: null,
      permanentLocation: null,
      circulationStatus: null,
    });
    store.unanswered(alarm(2, T0).id, 'no_answer');
    expect(store.get(alarm(1, T0).id)).toMatchObject({
      title: null,
      lookup: {
        answered: true,
        known: false,
        callNumber: null,
        permanentLocation: null,
        circulationStatus: null,
      },
    });
    expect(store.get(alarm(2, T0).id)).toMatchObject({
      title: null,
      lookup: { answered: false, reason: 'no_answer', message: 'the library system did not answer' },
    });
  });

  it('records who acknowledged and when; the first acknowledgement stands', () => {
    const { stores } = twoGates();
    const store = stores['exit-1'];
    store.record(alarm(1, T0));
    expect(store.acknowledge(alarm(1, T0).id, 'desk-staff', T0 + 60_000)?.acknowledged).toEqual({
      by: 'desk-staff',
      at: '2026-12-02T10:01:00.000Z',
    });
    expect(store.acknowledge(alarm(1, T0).id, 'someone-else', T0 + 120_000)?.acknowledged?.by).toBe(
      'desk-staff',
    );
    expect(store.acknowledge('00000000-0000-4000-8000-999999999999', 'desk-staff', T0)).toBeUndefined();
  });

  it('forgets what is older than the retention, and only its own gate’s', () => {
    const { stores } = twoGates();
    stores['exit-1'].record(alarm(1, T0 - 100 * 86_400_000));
    stores['exit-1'].record(alarm(2, T0));
    stores['exit-2'].record(alarm(3, T0 - 100 * 86_400_000));
    expect(stores['exit-1'].forget(T0 - 90 * 86_400_000)).toBe(1);
    expect(stores['exit-1'].get(alarm(2, T0).id)).toBeDefined();
    expect(stores['exit-2'].get(alarm(3, T0).id)).toBeDefined();
  });
});

describe('the desk’s alarm history, every gate together', () => {
  it('pages newest first across the gates, each alarm once, however pages fall', () => {
    const { stores, gates } = twoGates();
    // 25 alarms, alternating gates, some at the same millisecond.
    for (let n = 1; n <= 25; n++)
      stores[n % 2 === 0 ? 'exit-1' : 'exit-2'].record(alarm(n, T0 + Math.floor(n / 3) * 1000));
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = alarmPage(gates, {
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
        limit: 7,
        ...(after ? { after } : {}),
      });
      pages++;
      seen.push(...page.alarms.map((a) => a.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(25);
    const times = seen.map((id) => Number(id.slice(-12)));
    const expected = [...times].sort((a, b) => Math.floor(b / 3) - Math.floor(a / 3) || b - a);
    expect(times).toEqual(expected);
  });

  it('filters by gate, by time and by whether anyone acknowledged it', () => {
    const { stores, gates } = twoGates();
    stores['exit-1'].record(alarm(1, T0));
    stores['exit-1'].record(alarm(2, T0 + 1000));
    stores['exit-2'].record(alarm(3, T0 + 2000));
    acknowledgeAlarm(gates, alarm(2, 0).id, 'desk-staff');
    const ids = (query: Partial<Parameters<typeof alarmPage>[1]>) =>
      alarmPage(gates, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 50, ...query }).alarms.map((a) =>
        a.id.slice(-1),
      );
    expect(ids({})).toEqual(['3', '2', '1']);
    expect(ids({ gate: 'exit-1' })).toEqual(['2', '1']);
    expect(ids({ open: true })).toEqual(['3', '1']);
    expect(ids({ from: T0 + 500, to: T0 + 1500 })).toEqual(['2']);
  });

  it('acknowledges an alarm whichever gate raised it, and says when no gate did', () => {
    const { stores, gates } = twoGates();
    stores['exit-2'].record(alarm(3, T0));
    expect(acknowledgeAlarm(gates, alarm(3, T0).id, 'desk-staff')).toMatchObject({
      gate: 'exit-2',
      acknowledged: { by: 'desk-staff' },
    });
    expect(() => acknowledgeAlarm(gates, alarm(4, T0).id, 'desk-staff')).toThrow(
      expect.objectContaining({ code: 'alarm_not_found' }),
    );
    expect(() => alarmPage(gates, { from: 0, to: 1, limit: 5, after: 'nonsense' })).toThrow(
      expect.objectContaining({ code: 'alarm_cursor_invalid' }),
    );
  });
});

describe('an alarm history kept by a Carrel from before the title lookup was kept (schema step 1)', () => {
  it('upgrades and keeps every alarm: titled ones as answered, untitled ones as not kept (with what to do)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-gate-schema-'));
    try {
      const path = join(dir, 'carrel.db');
      // The file as the old Carrel left it: its one step, three alarms, one titled, one acknowledged.
      const old = openDatabase(path);
      migrate(old, 'gate-alarms', GATE_ALARM_MIGRATIONS.slice(0, 1));
      const insert = old.prepare(
        `INSERT INTO gate_alarms (id, gate, at, direction, item, uid, title, reason, ils, acknowledged_by, acknowledged_at)
         VALUES (?, 'exit-1', ?, 'out', ?, ?, ?, 'reported', NULL, ?, ?)`,
      );
      insert.run(alarm(1, T0).id, T0, '31000004', 'E004010000000001', 'Middlemarch', null, null);
      insert.run(alarm(2, T0).id, T0 + 1000, '39000777', 'E004010000000002', null, 'desk-staff', T0 + 5000);
      insert.run(alarm(3, T0).id, T0 + 2000, null, 'E004010000000003', null, null, null);
      old.close();

      db = openDatabase(path);
      const store = new GateAlarmHistory(db, 'exit-1');
      const kept = store.list({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 });
      expect(kept.map((record) => [record.item, record.title, record.lookup, record.acknowledged])).toEqual([
        [null, null, null, null],
        [
          '39000777',
          null,
          {
            answered: false,
            reason: 'not_kept',
            message:
              'raised before Carrel kept what the library system said of each item: look the item up there',
          },
          { by: 'desk-staff', at: new Date(T0 + 5000).toISOString() },
        ],
        [
          '31000004',
          'Middlemarch',
          { answered: true, known: true, callNumber: null, permanentLocation: null, circulationStatus: null },
          null,
        ],
      ]);
      // New alarms keep their lookup beside the old ones.
      store.record(alarm(4, T0 + 3000));
      store.unanswered(alarm(4, T0).id, 'unreachable');
      expect(store.get(alarm(4, T0).id)?.lookup).toEqual({
        answered: false,
        reason: 'unreachable',
        message: 'the library system cannot be reached',
      });
      const version = db
        .prepare("SELECT MAX(version) AS version FROM schema_migrations WHERE component = 'gate-alarms'")
        .get() as { version: number };
      expect(version.version).toBe(GATE_ALARM_MIGRATIONS.length);
    } finally {
      db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads an alarm acknowledged on a desk without tokens, kept as by 'loopback', as acknowledged at this desk", () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-gate-schema-'));
    try {
      const path = join(dir, 'carrel.db');
      const old = openDatabase(path);
      migrate(old, 'gate-alarms', GATE_ALARM_MIGRATIONS.slice(0, 4));
      const insert = old.prepare(
        `INSERT INTO gate_alarms (id, gate, at, direction, item, uid, title, reason, ils, acknowledged_by, acknowledged_at)
         VALUES (?, 'exit-1', ?, 'out', NULL, ?, NULL, 'reported', NULL, ?, ?)`,
      );
      insert.run(alarm(1, T0).id, T0, 'E004010000000001', 'loopback', T0 + 5000);
      insert.run(alarm(2, T0).id, T0 + 1000, 'E004010000000002', 'desk-staff', T0 + 6000);
      old.close();

      db = openDatabase(path);
      const store = new GateAlarmHistory(db, 'exit-1');
      expect(
        store.list({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.acknowledged),
      ).toEqual([
        { by: 'desk-staff', at: new Date(T0 + 6000).toISOString() },
        { by: 'at this desk', at: new Date(T0 + 5000).toISOString() },
      ]);
    } finally {
      db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
