import { afterEach } from 'vitest';
import { IlsCirculation } from '../../../src/gateway/circulation/index.js';
import { OfflineJournal, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { useSampleIls } from '../../helpers/sample-ils.js';

/**
 * The circulation service against the ILS simulator over TCP, with an offline journal (offline
 * mode on) taking what it takes: started by `setUp()` in a test, closed after it.
 */
export function useCirculationRig() {
  let db: Database | undefined;
  afterEach(() => {
    db?.close();
    db = undefined;
  });
  // After the database's hook, so run before it (hooks run in reverse): the link closes first.
  const startIls = useSampleIls();
  return async function setUp(options: { requestTimeoutMs?: number } = {}) {
    const { simulator, client: ils } = await startIls({ requestTimeoutMs: options.requestTimeoutMs ?? 2000 });
    db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    const circulation = new IlsCirculation({ ils: () => ils, offline: journal, feePayments: journal });
    const library = simulator.state;
    const owedOn = (patron: string, fee: string) =>
      library.patron(patron)?.fees.find((f) => f.id === fee)?.amountCents ?? 0;
    return { circulation, journal, simulator, library, owedOn };
  };
}
