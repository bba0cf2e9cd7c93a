import { afterEach } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { IlsClient } from '../../../src/devices/ils/index.js';
import { IlsCirculation } from '../../../src/gateway/circulation/index.js';
import { OfflineJournal, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

/**
 * The circulation service against the ILS simulator over TCP, with an offline journal (offline
 * mode on) taking what it takes: started by `setUp()` in a test, closed after it.
 */
export function useCirculationRig() {
  let simulator: IlsSimulator | undefined;
  let client: IlsClient | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await client?.disconnect();
    await simulator?.close();
    db?.close();
    client = undefined;
    simulator = undefined;
    db = undefined;
  });
  return async function setUp(options: { requestTimeoutMs?: number } = {}) {
    simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
    const ils = IlsClient.create({
      host: '127.0.0.1',
      port: simulator.port,
      user: 'kiosk1',
      password: 'kiosk1pw',
      location: 'MAIN',
      institution: 'RIVERSIDE',
      heartbeatSeconds: 0,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    });
    client = ils;
    await ils.connect();
    db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    const circulation = new IlsCirculation({ ils: () => ils, offline: journal, feePayments: journal });
    const library = simulator.state;
    const owedOn = (patron: string, fee: string) =>
      library.patron(patron)?.fees.find((f) => f.id === fee)?.amountCents ?? 0;
    return { circulation, journal, simulator, library, owedOn };
  };
}
