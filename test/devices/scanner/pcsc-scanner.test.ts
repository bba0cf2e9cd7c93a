import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { presentCard, type VirtualCard } from '../../../simulators/scanner/virtual-card.js';
import { systemClock } from '../../../src/core/clock.js';
import {
  PcscScanner,
  type PcscScannerOptions,
  type ScanRead,
  type ScanRejection,
} from '../../../src/devices/scanner/index.js';
import { ensurePcscd, type Pcscd, pcscSkipReason } from '../../helpers/pcscd.js';
import { until } from '../../helpers/until.js';

const skip = pcscSkipReason();
if (skip) console.warn(`skipping PC/SC tests: ${skip}`);

const UID = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
const SELECT_CAMPUS_APP = '00A4040007F0010203040506';
const READ_CAMPUS_ID = '00B0000010';

/**
 * A contactless card reader through the real stack: the scanner simulator's virtual card speaks
 * vpcd's protocol to Debian's vpcd driver inside a real pcscd, and the driver reads it with the
 * @pokusew/pcsclite binding, as a campus card on an ACR122U would be read.
 */
describe.skipIf(skip !== undefined)('PC/SC card reader through pcscd and vpcd', () => {
  let pcscd: Pcscd;
  let scanner: PcscScanner | undefined;
  let card: VirtualCard | undefined;
  beforeAll(async () => {
    pcscd = await ensurePcscd();
  }, 20_000);
  afterAll(async () => pcscd?.stop());
  afterEach(async () => {
    await card?.remove();
    card = undefined;
    // pcscd sees the card gone at its next poll: wait, so the next test's reader starts empty.
    if (scanner)
      await until(() => (scanner!.condition().detail.cardPresent === false ? true : undefined), 5000);
    await scanner?.disconnect();
    scanner = undefined;
  });

  async function start(options: Partial<PcscScannerOptions> = {}) {
    scanner = new PcscScanner({
      id: 'card-reader-1',
      clock: systemClock,
      reader: 'Virtual PCD 00 00',
      uid: { format: 'hex', byteOrder: 'as-read' },
      script: [],
      value: 'uid',
      readerTimeoutMs: 5000,
      ...options,
    });
    const reads: ScanRead[] = [];
    const rejected: ScanRejection[] = [];
    const removed: unknown[] = [];
    scanner.on('event', (type, data) => {
      if (type === 'read') reads.push(data as unknown as ScanRead);
      if (type === 'rejected') rejected.push(data as unknown as ScanRejection);
      if (type === 'card_removed') removed.push(data);
    });
    await scanner.connect();
    return { reads, rejected, removed };
  }

  it('a card presented is read by GET DATA (FF CA 00 00 00); taken off, it is removed', async () => {
    const { reads, removed } = await start({ uid: { format: 'decimal', byteOrder: 'reversed' } });
    card = await presentCard({ uid: UID });
    await until(() => (reads.length === 1 ? true : undefined), 5000);
    expect(reads[0]).toMatchObject({ source: 'pcsc', kind: 'card', value: '4022250974', raw: 'DEADBEEF' });
    expect(card.commands).toContain('FFCA000000');
    expect(scanner!.condition().detail).toMatchObject({
      reader: 'Virtual PCD 00 00',
      cardPresent: true,
      reads: 1,
    });
    await card.remove();
    await until(() => (removed.length === 1 ? true : undefined), 5000);
    expect(scanner!.condition().detail).toMatchObject({ cardPresent: false });
  });

  it('a campus-card application: the script selects it and reads the campus id', async () => {
    const { reads } = await start({
      script: [Buffer.from(SELECT_CAMPUS_APP, 'hex'), Buffer.from(READ_CAMPUS_ID, 'hex')],
      value: 'script-text',
    });
    card = await presentCard({
      uid: UID,
      responses: {
        [SELECT_CAMPUS_APP]: '9000',
        [READ_CAMPUS_ID]: `${Buffer.from('21000002').toString('hex')}${'00'.repeat(8)}9000`,
      },
    });
    await until(() => (reads.length === 1 ? true : undefined), 5000);
    expect(reads[0]).toMatchObject({ kind: 'card', value: '21000002', raw: 'DEADBEEF' });
  });

  it('a card that will not give its UID, or is pulled mid-APDU, is a rejection and never a value', async () => {
    const { reads, rejected } = await start({
      script: [Buffer.from(SELECT_CAMPUS_APP, 'hex')],
      value: 'script-hex',
    });
    card = await presentCard({ uid: UID, responses: { FFCA000000: '6A81' } });
    await until(() => (rejected.length === 1 ? true : undefined), 5000);
    expect(rejected[0]).toMatchObject({ source: 'pcsc', code: 'card_uid_unreadable' });
    expect(rejected[0]!.message).toBe(
      'the reader gave no number for this MIFARE Classic 1K card (GET DATA answered 6A81, function not supported): lay it on the reader again; if it fails again, the reader does not read its number (ATR 3B8F8001804F0CA000000306030001000000006A)',
    );
    await card.remove();
    await until(() => (scanner!.condition().detail.cardPresent === false ? true : undefined), 5000);

    card = await presentCard({ uid: UID, leaveOn: SELECT_CAMPUS_APP });
    await until(() => (rejected.length === 2 ? true : undefined), 5000);
    expect(rejected[1]).toMatchObject({ code: 'card_uid_unreadable' });
    expect(reads).toEqual([]);
  });

  it('no reader by that name: the connect fails with a clear error', async () => {
    await expect(start({ reader: 'ACR122U', readerTimeoutMs: 1500 })).rejects.toMatchObject({
      code: 'pcsc_no_reader',
    });
  });
});
