import type { OfflineKind, OfflineReplayOutcome } from '../../offline/transaction.js';

type NoData = Record<string, never>;

/**
 * The ILS link's events: its connections and the ILS's own on-line status (98),
 * and what the offline journal's replay did (emitted by offline mode on the ILS
 * device). None names a patron.
 */
export interface IlsEvents {
  'ils.connection_lost': { connection: number };
  'ils.connection_restored': { connection: number };
  'ils.acs_offline': NoData;
  'ils.acs_online': NoData;
  'offline.replayed': {
    id: string;
    sequence: number;
    kind: OfflineKind;
    item: string;
    reason: OfflineReplayOutcome;
  };
  'offline.conflict': { id: string; sequence: number; kind: OfflineKind; item: string; reason: string };
}

export const ILS_EVENTS: ReadonlyArray<keyof IlsEvents> = [
  'ils.connection_lost',
  'ils.connection_restored',
  'ils.acs_offline',
  'ils.acs_online',
  'offline.replayed',
  'offline.conflict',
];
