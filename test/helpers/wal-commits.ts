import { readFileSync } from 'node:fs';

/**
 * The commits written to a SQLite database's write-ahead log (`<file>-wal`) as it stands on disk:
 * each is one flush of the disk with synchronous=FULL. `log` names the log's current generation
 * (its salt): a checkpoint that starts the log over changes it, and counts across two generations
 * cannot be compared. The file format: https://www.sqlite.org/fileformat.html#the_write_ahead_log
 */
export function walCommits(database: string): { log: string; commits: number } {
  let wal: Buffer;
  try {
    wal = readFileSync(`${database}-wal`);
  } catch {
    return { log: '', commits: 0 };
  }
  if (wal.length < 32) return { log: '', commits: 0 };
  const pageSize = wal.readUInt32BE(8);
  const salt = wal.subarray(16, 24).toString('hex');
  let commits = 0;
  // A frame: page number, the database's size in pages after a commit (0 on other frames), the
  // log's salt (frames left from an earlier generation carry another), checksums, then the page.
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.subarray(at + 8, at + 16).toString('hex') !== salt) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return { log: salt, commits };
}
