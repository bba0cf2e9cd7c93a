import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineJournal, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { assertBuilt, builtChild, runKillableChild } from '../../helpers/killable-child.js';

const CHILD = builtChild(import.meta.url, 'journal-child');
const ROUNDS = 20;
/** Acks before the kill are drawn from 5..95; the child would go on far past that. */
const KILL_WITHIN = 95;
const CHILD_LIMIT = 100_000;

let dir: string;
let dbPath: string;
const acks: Array<{ round: number; id: string; sequence: number; kind: string; item: string }> = [];
const journaledPerRound: number[] = [];

const runChild = (args: string[], killWhen: (line: string) => boolean) =>
  runKillableChild(CHILD, args, killWhen);

function randomBetween(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low + 1));
}

/** The transaction the accept child makes at index i of a round. */
function expectedAt(round: number, i: number): { kind: string; item: string } {
  return i % 4 === 3
    ? { kind: 'checkin', item: `r${round}-${i - 3}` }
    : { kind: 'checkout', item: `r${round}-${i}` };
}

function openJournal() {
  const db = openDatabase(dbPath);
  return { db, journal: new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) }) };
}

beforeAll(async () => {
  // The children run dist/: it must exist and be no older than the source it is built from.
  await assertBuilt(['src/gateway/offline', 'test/gateway/offline/journal-child.ts']);
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-offline-kill-'));
  dbPath = path.join(dir, 'carrel.db');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('offline journal under SIGKILL', () => {
  it('loses no acknowledged transaction and journals none twice when killed at random points', async () => {
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = randomBetween(5, KILL_WITHIN);
      let acked = 0;
      const run = await runChild(['accept', dbPath, String(round), String(CHILD_LIMIT)], (line) =>
        line.startsWith('ack ') ? ++acked >= killAfter : false,
      );
      if (run.killed) kills++;
      for (const line of run.lines) {
        const [word, id, sequence, kind, item] = line.split(' ');
        if (word === 'ack')
          acks.push({ round, id: id!, sequence: Number(sequence), kind: kind!, item: item! });
      }
    }
    expect(kills).toBe(ROUNDS);

    const { db, journal } = openJournal();
    try {
      expect(db.pragmaValue('integrity_check')).toBe('ok');
      const rows = journal.all();
      expect(new Set(rows.map((tx) => tx.id)).size).toBe(rows.length);
      expect(new Set(rows.map((tx) => `${tx.kind} ${tx.item}`)).size).toBe(rows.length);
      expect(rows.every((tx) => tx.state === 'pending' && tx.attempts === 0)).toBe(true);

      // Every acknowledged transaction is there, once, as acknowledged.
      const byId = new Map(rows.map((tx) => [tx.id, tx]));
      for (const ack of acks) {
        expect(byId.get(ack.id)).toMatchObject({ sequence: ack.sequence, kind: ack.kind, item: ack.item });
      }

      // In sequence order, each round is its transactions 0..n-1 with no gap and no repeat,
      // rounds one after the other; at most one per round was committed but never acknowledged.
      const rounds = rows.map((tx) => Number(/^r(\d+)-/.exec(tx.item)![1]));
      expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
      for (let round = 0; round < ROUNDS; round++) {
        const mine = rows.filter((_, index) => rounds[index] === round);
        expect(mine.map((tx) => ({ kind: tx.kind, item: tx.item }))).toEqual(
          mine.map((_, i) => expectedAt(round, i)),
        );
        const acked = acks.filter((ack) => ack.round === round).length;
        expect(mine.length - acked).toBeGreaterThanOrEqual(0);
        expect(mine.length - acked).toBeLessThanOrEqual(1);
        journaledPerRound.push(mine.length);
      }
      expect(rows.length).toBeGreaterThan(ROUNDS * 5);
    } finally {
      db.close();
    }
  }, 60_000);

  it('replays every transaction exactly once into the ILS though the replayer is killed again and again', async () => {
    expect(journaledPerRound).toHaveLength(ROUNDS);
    const record = path.join(dir, 'ils-record.txt');
    let finished = false;
    let runs = 0;
    let killed = 0;
    while (!finished) {
      expect(runs++).toBeLessThan(400);
      const killAfter = randomBetween(5, 80);
      let replayed = 0;
      const run = await runChild(['replay', dbPath, record, '40'], (line) =>
        line.startsWith('offline.') ? ++replayed >= killAfter : false,
      );
      if (run.killed) killed++;
      const last = run.lines.find((line) => line.startsWith('finished '));
      if (last) {
        expect(JSON.parse(last.slice('finished '.length))).toMatchObject({ conflicts: 0, remaining: 0 });
        finished = true;
      }
    }
    expect(killed).toBeGreaterThan(1);

    const { db, journal } = openJournal();
    try {
      const rows = journal.all();
      expect(journal.counts()).toMatchObject({ done: rows.length, outstanding: 0 });
      // The fake ILS started empty, so every transaction is sent exactly once, in sequence order.
      const sent = readFileSync(record, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ').slice(0, 2).join(' '));
      expect(sent).toEqual(rows.map((tx) => `${tx.kind} ${tx.item}`));
      // Some sends were followed by a death before the journal heard: settled by the status check, not re-sent.
      const foundDone = rows.filter((tx) => tx.reason === 'already_done');
      expect(foundDone.length).toBeGreaterThan(0);
      expect(foundDone.every((tx) => tx.attempts >= 2)).toBe(true);
    } finally {
      db.close();
    }
  }, 90_000);
});
