import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';

const STAFF = 'staff-token-0123456789abcdef';

/**
 * A card's chip write that fails partway in a running Carrel: the card lifted off the pad while its
 * chip was written (the FEIG pad simulator over TCP leaves half the blocks written). The chip may
 * hold part of the number, or all of it: the record says so, Encode chip with that same card writes
 * its chip again whatever it holds, and another blank card is refused — the first may work already.
 */
describe('a card’s chip write that fails partway', () => {
  let testDesk: TestDesk;
  let pad: RfidPadSimulator;

  beforeAll(async () => {
    pad = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    testDesk = await startTestDesk((config) => ({
      ...withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }]),
      devices: config.devices.map((device) =>
        device.kind === 'rfid-reader' && device.id === 'card-pad'
          ? {
              ...device,
              transport: { type: 'tcp', host: '127.0.0.1', port: pad.tcpPort!, connectTimeoutMs: 3000 },
            }
          : device,
      ),
    }));
    await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000, STAFF);
    await waitForDevice(testDesk.api, 'card-pad', 'online', 15_000, STAFF);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
    await pad?.close();
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await fetch(`${testDesk.api}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${STAFF}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    return { status: response.status, json: (await response.json()) as any };
  }

  /** The desk reads exactly these tags on the card pad. */
  async function padReads(uids: string[]): Promise<void> {
    await expect
      .poll(
        async () =>
          ((await call('GET', '/rfid/card-pad/tags')).json.tags ?? []).map((t: { uid: string }) => t.uid),
        { timeout: 5000 },
      )
      .toEqual(uids);
  }

  it('records the chip as half written, refuses another blank card, and writes the same card again', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001', number: 'allocate' });
    expect(issued.status).toBe(200);
    const { issueId, cardNumber } = issued.json;
    const uid = String(pad.place({ preset: 'blank' }).uid);
    await padReads([uid]);

    // Lifted mid-write: half its blocks written, the card gone from the pad.
    pad.setFaults({ leaveDuringWriteRate: 1 });
    const failed = await call('POST', `/cards/${issueId}/rfid`);
    pad.setFaults({ leaveDuringWriteRate: 0 });
    expect(failed).toMatchObject({ status: 409, json: { code: 'rfid_write_failed' } });
    expect(failed.json.detail).toMatch(
      /may hold part of the card number.*lay this same card alone on the pad/,
    );
    const record = (await call('GET', '/cards?limit=5')).json.issues.find(
      (issue: { issueId: string }) => issue.issueId === issueId,
    );
    expect(record).toMatchObject({ chipEncoded: false, chipWriteFailedUid: uid });
    expect(record.chipWriteCutShortAt).not.toBeNull();
    // Thrown away, the card might still work: staff say it is destroyed, or read it on the pad.
    expect(await call('POST', `/cards/${issueId}/chip-given-up`)).toMatchObject({
      status: 409,
      json: { code: 'card_chip_write_cut_short' },
    });

    // Another blank card (the next one out of the printer) is not this card's chip: refused.
    await padReads([]);
    const other = String(pad.place({ preset: 'blank' }).uid);
    await padReads([other]);
    const refused = await call('POST', `/cards/${issueId}/rfid`);
    expect(refused).toMatchObject({ status: 409, json: { code: 'card_chip_write_cut_short' } });
    expect(refused.json.detail ?? refused.json.message ?? '').toContain(uid);
    pad.remove(other);

    // The same card laid back, its chip half written: Encode chip writes it whole.
    pad.move(uid, true);
    await padReads([uid]);
    const encoded = await call('POST', `/cards/${issueId}/rfid`);
    expect(encoded).toMatchObject({
      status: 200,
      json: { chipEncoded: true, rfidUid: uid, chipWriteCutShortAt: null, chipWriteFailedUid: null },
    });
    const tag = (await call('GET', '/rfid/card-pad/tags')).json.tags[0];
    expect(tag.item).toMatchObject({ primaryItemId: cardNumber, typeOfUsage: 'patron-card' });
  });
});
