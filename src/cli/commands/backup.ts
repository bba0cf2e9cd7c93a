import { dirname, join } from 'node:path';
import { databasePath, databasePathSource, refuseFolderAsDatabase } from '../../app/storage-feature.js';
import { formatBytes } from '../../core/bytes.js';
import { CarrelError } from '../../core/errors.js';
import { backUpDatabase } from '../../gateway/storage/backup.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel backup [--config FILE] [--to DIR|FILE.db] [--keep N] [--json]

Writes a consistent copy of the desk's database (print accounts, payments, the
offline journal, card issues, statistics) while Carrel runs, checks it, and
prints where it is. It holds patron data: it is readable by its owner only.

  --config FILE  the desk's configuration (or CARREL_CONFIG): where its database is
                 (storage.path, else systemd's STATE_DIRECTORY, else .carrel-state/)
  --to DIR|FILE  a directory that exists, where the backup is named
                 carrel-YYYYMMDD-HHMMSSZ.db, or a new file ending in .db in one
                 (a folder not there is refused, never made); default: backups/
                 beside the database, made when missing
  --keep N       keep the N newest named backups in that directory, remove the older
  --json         one JSON object on stdout: {source, path, bytes, tables, removed, recorded}

Each backup is recorded beside the database (carrel.db.last-backup.json), wherever
it went: carrel doctor and the daemon's /metrics read its age there.

To restore: stop Carrel, then \`carrel restore BACKUP.db\` (not a copy over carrel.db:
an old carrel.db-wal beside it would be applied to the backup, and the offline
transactions it has not replayed would be sent to the ILS again).`;

export const backupCommand: Command = {
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c' },
      to: { type: 'string' },
      keep: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new CarrelError('usage', `unexpected "${positionals[0]}"\n${USAGE}`);
    const keep = values.keep === undefined ? undefined : Number(values.keep);
    if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1 && keep <= 10_000))
      throw new CarrelError('usage', `--keep: a whole number from 1, not "${values.keep}"`);
    // The configuration's schema is loaded once the options are read: --help answers at once.
    const { configPathOf, loadCommandConfig } = await import('../command-config.js');
    const path = configPathOf(values.config);
    const config = loadCommandConfig(path, { secrets: false });
    if (!config) return 2;
    const source = databasePath(config.storage.path, process.env);
    refuseFolderAsDatabase(source, databasePathSource(config.storage.path, process.env));
    const result = backUpDatabase(source, {
      to: values.to ?? join(dirname(source), 'backups'),
      makeFolder: values.to === undefined,
      ...(keep !== undefined ? { keep } : {}),
    });
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `backed up ${result.source} to ${result.path} (${formatBytes(result.bytes)}, ${result.tables} tables, integrity ok)`,
      );
      for (const removed of result.removed) console.log(`removed the older backup ${removed}`);
      if (result.recorded !== true)
        console.log(
          `not recorded beside the database (${result.recorded.why}): carrel doctor and /metrics will not see this backup`,
        );
    }
    return 0;
  },
};
