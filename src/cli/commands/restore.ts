import { databasePath, databasePathSource, refuseFolderAsDatabase } from '../../app/storage-feature.js';
import { formatBytes } from '../../core/bytes.js';
import { CarrelError } from '../../core/errors.js';
import { forgetCashCountersAfterRestore } from '../../gateway/families/cash-device/credit-journal.js';
import { holdUnsettledAfterRestore } from '../../gateway/offline/restored.js';
import { restoreDatabase } from '../../gateway/storage/restore.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel restore BACKUP.db [--config FILE] [--replay-pending] [--json]

Puts a backup written by \`carrel backup\` in place of the desk's database, after
its disk died or the file was damaged. Stop Carrel first (systemctl stop carrel):
it refuses while Carrel runs. The backup is checked before anything is touched;
the database in place is not deleted but renamed carrel.replaced-<time>.db (with
its -wal), and still opens. The cash devices' event counters in the backup are
behind the devices' own, so they are forgotten: coins taken since are not
credited again. Offline transactions the backup has not replayed
may have reached the ILS after it was taken: they are held for staff as
conflicts (restored_from_backup), to look up at the ILS and retry or discard,
never sent again on their own.

  --config FILE  the desk's configuration (or CARREL_CONFIG): where its database is
                 (storage.path, else systemd's STATE_DIRECTORY, else .carrel-state/)
  --replay-pending
                 send the backup's offline transactions as they are, not held: only for a
                 backup taken after this desk's Carrel stopped for good (moving it to a new
                 PC), when nothing can have been replayed since
  --json         one JSON object on stdout: {backup, backupTakenAt, path, bytes,
                 tables, setAside, offlineHeld, cashCountersForgotten}`;

export const restoreCommand: Command = {
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      'replay-pending': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new CarrelError(
        'usage',
        `${positionals.length === 0 ? 'which backup?' : `unexpected "${positionals[1]}"`}\n${USAGE}`,
      );
    // The configuration's schema is loaded once the options are read: --help answers at once.
    const { configPathOf, loadCommandConfig } = await import('../command-config.js');
    const path = configPathOf(values.config);
    const config = loadCommandConfig(path, { secrets: false });
    if (!config) return 2;
    const target = databasePath(config.storage.path, process.env);
    refuseFolderAsDatabase(target, databasePathSource(config.storage.path, process.env));
    const result = restoreDatabase(positionals[0]!, target, {
      adjust: (db, takenAt): Record<string, number> => ({
        ...(values['replay-pending'] ? {} : { offlineHeld: holdUnsettledAfterRestore(db, takenAt) }),
        cashCountersForgotten: forgetCashCountersAfterRestore(db),
      }),
    });
    const offlineHeld = result.adjusted.offlineHeld ?? 0;
    const cashCountersForgotten = result.adjusted.cashCountersForgotten ?? 0;
    if (values.json) {
      const { adjusted: _adjusted, ...rest } = result;
      console.log(JSON.stringify({ ...rest, offlineHeld, cashCountersForgotten }));
      return 0;
    }
    console.log(
      `restored ${result.path} from ${result.backup} (taken ${result.backupTakenAt}; ` +
        `${formatBytes(result.bytes)}, ${result.tables} tables, integrity ok)`,
    );
    const [replaced, ...companions] = result.setAside;
    if (replaced)
      console.log(
        `the database that was in place is kept as ${replaced}` +
          (companions.length ? ` (with ${companions.map((p) => p.slice(replaced.length)).join(', ')})` : ''),
      );
    if (offlineHeld > 0)
      console.log(
        `${offlineHeld} offline transaction${offlineHeld === 1 ? ' is' : 's are'} held for staff as ` +
          'conflicts (restored_from_backup): look each up at the ILS, then retry or discard it ' +
          '(the dashboard; GET /api/v1/offline/transactions?state=conflict)',
      );
    if (cashCountersForgotten > 0)
      console.log(
        `the event counters of ${cashCountersForgotten} cash device${cashCountersForgotten === 1 ? '' : 's'} ` +
          'are taken afresh at the next start: coins taken after the backup are not credited again',
      );
    console.log(
      `What the desk took after ${result.backupTakenAt} (print accounts' money, payments, cards) is not ` +
        'in the backup: compare with the replaced database if it still opens. Then start Carrel.',
    );
    return 0;
  },
};
