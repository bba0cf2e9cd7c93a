/** Offline mode (store-and-forward): a durable journal of circulation taken while the ILS is away, and its replay. */
export { OfflineError, type OfflineErrorCode } from './errors.js';
export {
  type OfflineCounts,
  OfflineJournal,
  type OfflineJournalOptions,
  type OfflineKind,
  type OfflineOrderingKeys,
  type OfflineReplayOutcome,
  type OfflineResolution,
  type OfflineState,
  type OfflineTransaction,
  type OfflineTransactionInput,
  offlineTransactionSchema,
} from './journal.js';
export { type OfflinePolicy, type OfflinePolicyInput, offlinePolicySchema } from './policy.js';
export { refusalReason } from './refusal.js';
export {
  type IlsForReplay,
  type OfflineEvent,
  OfflineReplayer,
  type OfflineReplayerOptions,
  type OfflineReplayReport,
  type OfflineSettleOutcome,
} from './replayer.js';
export { holdUnsettledAfterRestore, RESTORED_FROM_BACKUP } from './restored.js';
export { OFFLINE_SETTLED_RETENTION_DAYS } from './retention.js';
