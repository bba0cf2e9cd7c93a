/**
 * The process the kill test SIGKILLs. `npm run build` compiles it with the
 * gateway, and the test runs it from dist/test/.
 *
 *   node journal-child.js accept <db> <round> <limit>
 *     accepts offline transactions in a loop, printing `ack <id> <sequence> <item>`
 *     after each accept returns (its acknowledgement);
 *   node journal-child.js replay <db> <record-file> <crash-one-in>
 *     replays the journal into a fake ILS whose state is the record file (each
 *     checkout/checkin is appended and fsynced before it "happens"); one send in
 *     <crash-one-in> kills the process right after it, before the journal hears.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import {
  type IlsForReplay,
  OfflineJournal,
  OfflineReplayer,
  type OfflineTransactionInput,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import {
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Body,
  type Sip2Message,
  type Sip2MessageType,
} from '../../../src/protocols/sip2/index.js';
import { say } from '../../helpers/child-say.js';

const [mode, dbPath, ...rest] = process.argv.slice(2);
const policy = offlinePolicySchema.parse({
  enabled: true,
  maxCheckoutsPerPatron: 1_000_000,
  maxTransactionsTotal: 1_000_000,
});
const journal = new OfflineJournal(openDatabase(dbPath!), { policy });

if (mode === 'accept') {
  const [round, limit] = rest.map(Number) as [number, number];
  say('ready');
  for (let i = 0; i < limit; i++) {
    // Every fourth is the checkin of the item checked out three before it.
    const tx: OfflineTransactionInput =
      i % 4 === 3
        ? { kind: 'checkin', item: `r${round}-${i - 3}`, terminal: 'desk-1', at: Date.now() }
        : {
            kind: 'checkout',
            patron: `2100${i % 50}`,
            item: `r${round}-${i}`,
            terminal: 'desk-1',
            at: Date.now(),
          };
    const { id, sequence } = journal.accept(tx);
    say(`ack ${id} ${sequence} ${tx.kind} ${tx.item}`);
  }
  say('done');
} else if (mode === 'replay') {
  const [recordFile, crashOneIn] = [rest[0]!, Number(rest[1])];
  const loans = new Map<string, string>();
  if (existsSync(recordFile)) {
    for (const line of readFileSync(recordFile, 'utf8').split('\n')) {
      const [op, item, patron] = line.split(' ');
      if (op === 'checkout' && item !== undefined && patron) loans.set(item, patron);
      if (op === 'checkin' && item) loans.delete(item);
    }
  }
  const record = (line: string) => {
    const fd = openSync(recordFile, 'a');
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
    closeSync(fd);
    if (Math.random() * crashOneIn < 1) process.kill(process.pid, 'SIGKILL');
  };
  const decoded = <T extends Sip2MessageType>(input: AnySip2MessageInput & { type: T }): Sip2Message<T> => {
    const result = decodeSip2Message(encodeSip2Body(input));
    if (!result.ok) throw new Error(result.error.message);
    return result.message as Sip2Message<T>;
  };
  const base = { transactionDate: new Date(), institutionId: 'main', itemIdentifier: '' };
  const ils: IlsForReplay = {
    async itemInformation(item: string) {
      const borrower = loans.get(item);
      return {
        message: decoded({
          type: 'itemInformationResponse',
          circulationStatus: borrower === undefined ? 'available' : 'charged',
          securityMarker: 'other',
          feeType: 'other',
          transactionDate: new Date(),
          itemIdentifier: item,
          titleIdentifier: item,
          ...(borrower !== undefined && { extraFields: [{ id: 'AA', value: borrower }] }),
        }),
      };
    },
    async checkout(patron: string, item: string) {
      record(`checkout ${item} ${patron}`);
      loans.set(item, patron);
      return {
        message: decoded({
          ...base,
          type: 'checkoutResponse',
          ok: true,
          renewalOk: false,
          magneticMedia: 'unknown',
          desensitize: true,
          patronIdentifier: patron,
          itemIdentifier: item,
          titleIdentifier: item,
          dueDate: '',
        }),
      };
    },
    async checkin(item: string) {
      record(`checkin ${item}`);
      loans.delete(item);
      return {
        message: decoded({
          ...base,
          type: 'checkinResponse',
          ok: true,
          resensitize: true,
          magneticMedia: 'unknown',
          alert: false,
          itemIdentifier: item,
          permanentLocation: 'MAIN',
        }),
      };
    },
  };
  const replayer = new OfflineReplayer({
    journal,
    ils,
    onEvent: (event) => say(`${event.type} ${event.data.id} ${event.data.reason}`),
  });
  say('ready');
  const report = await replayer.run();
  say(`finished ${JSON.stringify(report)}`);
}
