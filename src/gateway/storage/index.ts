export { chooseBackend, usableBackends } from './backends.js';
export type {
  Database,
  RunResult,
  SqlRow,
  SqlValue,
  Statement,
  StorageBackend,
  TransactionMode,
} from './database.js';
export { DatabaseError, storageFaultCounts, storageFaultTimes } from './database.js';
export { GroupCommit } from './group-commit.js';
export {
  type InstanceLock,
  instanceLockHolder,
  instanceLockPath,
  takeInstanceLock,
} from './instance-lock.js';
export { holdsNoRecords, integrityProblems, tableCount } from './integrity.js';
export { migrate } from './migrate.js';
export { type OpenDatabaseOptions, openDatabase } from './open.js';
export { type RestoreOptions, type RestoreResult, restoreDatabase } from './restore.js';
export { checkSchemaVersions, SCHEMA_VERSIONS } from './schema-versions.js';
export { StatementCache, type StatementSource, statementsOn } from './statement-cache.js';
