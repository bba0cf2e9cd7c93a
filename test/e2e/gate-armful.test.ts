import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { walkOut } from '../helpers/gate-walk.js';
import { until } from '../helpers/until.js';

/**
 * One person walks out through the simulated gate carrying an armful of the sample library's
 * books (a class set, a trolley pushed through): every book alarms, and the library system,
 * idle and quick, names each one. Real TCP throughout: the gate's notification to the desk, the
 * desk's item information requests to the ILS simulator, the alarm history over HTTP.
 */
let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

/** 24 of the sample library's items, 31000004 to 31000027. */
const ARMFUL = Array.from({ length: 24 }, (_, index) => String(31000004 + index));

interface AlarmRecord {
  item: string | null;
  title: string | null;
  lookup: { answered: boolean; message?: string } | null;
}

describe('an armful of books carried out through the gate', () => {
  it('names every book that alarmed, as the library system answers for each, none "too busy to ask"', async () => {
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    const walked = await walkOut(gate, ARMFUL);
    expect(walked.alarmed).toBe(true);
    const settled = await until(
      async () => {
        const { json } = await callApi(`${testDesk.api}/api/v1`, 'GET', '/gates/alarms?limit=100');
        const alarms = (json as { alarms: AlarmRecord[] }).alarms.filter((alarm) =>
          ARMFUL.includes(alarm.item ?? ''),
        );
        return alarms.length === ARMFUL.length && alarms.every((alarm) => alarm.lookup !== null)
          ? alarms
          : undefined;
      },
      15_000,
      'the alarms of the armful, each with what the library system said of it',
    );
    const unnamed = settled.filter((alarm) => alarm.title === null);
    expect(unnamed.map((alarm) => `${alarm.item}: ${alarm.lookup?.message}`)).toEqual([]);
  });
});
