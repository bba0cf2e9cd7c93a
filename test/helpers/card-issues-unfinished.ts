import { openDatabase } from '../../src/gateway/storage/index.js';

/**
 * Runs `during` with the desk's database (the SQLite file at `databasePath`) refusing to finish any
 * card issue, as SQLite refuses a write on a full disk: a trigger made from a second connection,
 * dropped after. A card can still be begun (recorded printing) and printed.
 */
export async function cardIssuesUnfinished<T>(databasePath: string, during: () => Promise<T>): Promise<T> {
  const outside = openDatabase(databasePath);
  outside.exec(
    `CREATE TRIGGER card_issue_not_finished BEFORE UPDATE OF result ON card_issues
     WHEN NEW.result != 'printing' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
  );
  try {
    return await during();
  } finally {
    outside.exec('DROP TRIGGER card_issue_not_finished');
    outside.close();
  }
}
