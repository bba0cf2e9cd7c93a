/**
 * Has the running Carrel had database writes refused? Doctor's own look at the disk (the state
 * directory, free space) is from this shell: the desk may see another file system than doctor
 * does (systemd's ProtectSystem=strict and its own mount namespace, a disk remounted read-only
 * for the desk alone), or its disk was full a while ago and is not now. The desk counts each
 * statement its disk refused (`carrel_storage_faults_total{code}` on /metrics) and says when the
 * last one was: that is read, and said in words. Refused writes the desk has written its database
 * since (its files changed after the last one) are over: a warning. Otherwise they may go on.
 */
import { statSync } from 'node:fs';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { getText, type RunningCarrel } from './ports.js';

const NAME = 'database writes';

const KINDS = {
  storage_full: {
    what: 'the disk was full',
    todo: 'make room on the disk holding the database (old backups, logs)',
  },
  storage_unwritable: {
    what: 'the database could not be written',
    todo: "see why the desk cannot write it: its file system gone read-only after disk errors (`dmesg`, `findmnt -o TARGET,OPTIONS` — a remount read-write, or fsck, then `systemctl restart carrel`), the database files not the carrel user's (`ls -l` of carrel.db, carrel.db-wal, carrel.db-shm), or a storage.path outside the unit's StateDirectory (systemd's ProtectSystem keeps it read-only for the service)",
  },
} as const;

type FaultCode = keyof typeof KINDS;

/**
 * What the running Carrel's /metrics says of storage faults; only when it was found. `database`: where
 * its database is (as it says, else where doctor found it), whose files tell whether it wrote since.
 */
export async function checkStorageFaults(
  running: RunningCarrel,
  token: string | undefined,
  timeoutMs: number,
  database: string,
  now: number = Date.now(),
): Promise<DoctorCheck> {
  const answer = await getText(`${running.url}/metrics`, timeoutMs, {
    accept: 'text/plain',
    ...(token !== undefined && { authorization: `Bearer ${token}` }),
  });
  if (answer === undefined)
    return doctorCheck(NAME, 'warn', `the running Carrel (${running.url}) did not answer /metrics in time`);
  if (answer.status === 401 || answer.status === 403)
    return doctorCheck(
      NAME,
      'skip',
      `the running Carrel (${running.url}) tells its refused writes (/metrics) to the monitor scope only, and the configuration has no such token`,
    );
  const counts = samples(answer.body, 'carrel_storage_faults_total');
  if (answer.status !== 200 || counts === undefined)
    return doctorCheck(
      NAME,
      'skip',
      `the running Carrel (${running.url}) does not count refused writes on /metrics (an older Carrel?)`,
    );
  const times = samples(answer.body, 'carrel_storage_last_fault_timestamp_seconds') ?? new Map();
  const refused = (Object.keys(KINDS) as FaultCode[]).filter((code) => (counts.get(code) ?? 0) > 0);
  if (refused.length === 0)
    return doctorCheck(
      NAME,
      'pass',
      `the running Carrel (${running.url}) has had no database write refused since it started`,
    );
  let newest: number | undefined;
  const said = refused.map((code) => {
    const count = counts.get(code)!;
    const at = times.get(code);
    if (at !== undefined) newest = Math.max(newest ?? 0, at * 1000);
    const when = at === undefined ? '' : `, the last ${ago(now - at * 1000)}`;
    return `${count} because ${KINDS[code].what} (${code})${when}`;
  });
  const written = lastWritten(database);
  const over = newest !== undefined && written !== undefined && written > newest;
  const since = over
    ? `; it has written to its database since (${ago(now - written)}), so it can write again`
    : '; it has written nothing to its database since';
  const total = refused.reduce((sum, code) => sum + counts.get(code)!, 0);
  return doctorCheck(
    NAME,
    over ? 'warn' : 'fail',
    `the running Carrel (${running.url}) had ${total} database ${total === 1 ? 'write' : 'writes'} refused since it started: ${said.join('; ')}${since} — what it refused (payments, print-account money, checkouts and checkins it must journal) was not recorded; the disk checks above are this shell's view, not the desk's`,
    over
      ? 'find out why it happened, before it happens again: ' +
          `${refused.map((code) => KINDS[code].todo).join('; ')} (the count goes back to 0 when Carrel restarts)`
      : `${refused.map((code) => KINDS[code].todo).join('; ')}; what the desk refused is taken when sent again once it can write`,
  );
}

/** When the database or its write-ahead log last changed (ms since the epoch), if either is there. */
function lastWritten(database: string): number | undefined {
  let newest: number | undefined;
  for (const file of [database, `${database}-wal`]) {
    try {
      newest = Math.max(newest ?? 0, statSync(file).mtimeMs);
    } catch {
      // Not there (no log since the last checkpoint) or not readable here: no word from it.
    }
  }
  return newest;
}

/** Each sample of `metric` by its `code` label, or undefined when the metric is not there. */
function samples(text: string, metric: string): Map<string, number> | undefined {
  if (!new RegExp(`^# TYPE ${metric} `, 'm').test(text)) return undefined;
  const found = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${metric}\\{code="([a-z_]+)"\\} (\\S+)$`, 'gm'))) {
    const value = Number(match[2]);
    if (Number.isFinite(value)) found.set(match[1]!, value);
  }
  return found;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
