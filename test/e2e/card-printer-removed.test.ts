import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import { callApi } from '../helpers/api-call.js';
import { cardIssuesUnfinished } from '../helpers/card-issues-unfinished.js';
import { withSecondCardPrinter } from '../helpers/card-printer-desk.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A card left `printing` at a printer that is then taken out of the configuration (Carrel stopped
 * mid-print, the printer replaced by one with a new id): the card may be out, so it is the patron's
 * card in doubt — not a card printing somewhere for ever, refusing the patron at every printer. At
 * the next start it is in doubt as any card Carrel stopped under, listed with its old printer's id,
 * and settled as any: found in the output hopper, or printed again saying it is not there.
 */
describe('a card printing at a printer since taken out of the configuration', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'carrel-removed-printer-'));
  const databasePath = join(stateDir, 'carrel.db');
  const onDatabase = (config: CarrelConfig): CarrelConfig => ({
    ...config,
    storage: { ...config.storage, path: databasePath },
  });
  let desk: TestDesk | undefined;
  afterAll(async () => {
    await desk?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    callApi(`${desk!.api}/api/v1`, method, path, body);

  it('is in doubt at the next start, listed with the old printer’s id, and settled as any card in doubt', async () => {
    desk = await startTestDesk((config) => onDatabase(withSecondCardPrinter(config, { id: 'cards-old' })));
    for (const device of ['cards-1', 'cards-old']) await waitForDevice(desk.api, device, 'online', 15_000);
    // The card comes out at cards-old and its outcome cannot be recorded; Carrel stops before it is.
    const first = await cardIssuesUnfinished(databasePath, async () => {
      const answer = await call('POST', '/cards', {
        printer: 'cards-old',
        patron: '21000002',
        number: 'patron',
      });
      await desk!.stop();
      desk = undefined;
      return answer;
    });
    expect(first.json.code).toBe('card_outcome_unrecorded');
    const issueId = first.json.issueId as string;

    // IT replaces the printer: cards-old is gone, cards-2 is new; the database is the same.
    desk = await startTestDesk((config) => onDatabase(withSecondCardPrinter(config, { id: 'cards-2' })));
    for (const device of ['cards-1', 'cards-2']) await waitForDevice(desk.api, device, 'online', 15_000);
    const refused = await call('POST', '/cards', {
      printer: 'cards-1',
      patron: '21000002',
      number: 'patron',
    });
    expect(refused).toMatchObject({ status: 409, json: { code: 'card_outcome_unknown' } });
    // The card page lists it (its printer's issues, and those of printers no longer configured).
    const { issues } = (await call('GET', '/cards?limit=50&printer=cards-1')).json as {
      issues: Array<{ issueId: string; device: string; result: string; fault: string | null }>;
    };
    expect(issues.find((issue) => issue.issueId === issueId)).toMatchObject({
      device: 'cards-old',
      result: 'failed',
      fault: 'outcome_unknown',
    });
    // Staff find it in cards-old's output hopper: it is the patron's card, issued.
    const found = await call('POST', `/cards/${issueId}/found-in-hopper`, {});
    expect(found.json).toMatchObject({ result: 'issued', device: 'cards-old', cardNumber: '21000002' });
    // Nothing blocks the patron at either printer now: a lost card is replaced as any other.
    const reprint = await call('POST', '/cards', {
      printer: 'cards-2',
      patron: '21000002',
      number: 'allocate',
      replaces: '21000002',
    });
    expect(reprint.json).toMatchObject({ result: 'issued', device: 'cards-2', replaces: '21000002' });
  }, 60_000);
});
