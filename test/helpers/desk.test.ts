import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { startTestDesk, type TestDesk, waitForDevice, withIlsAt } from './desk.js';

/**
 * The desk helpers' trap: a test that aims the desk's ILS link at its own ILS simulator
 * (withIlsAt) and then replaces `simulators` from the configuration it was given brings the
 * desk's ILS simulator back — started, linked to nothing, and the one a test reaching for the
 * desk's ILS gets, so faults set on it change nothing the desk sees. The helper refuses such a
 * desk in words; one built from withIlsAt's own simulators starts, linked to the test's ILS.
 */
let ils: IlsSimulator;
let desk: TestDesk | undefined;

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
});

afterAll(async () => {
  await desk?.stop();
  await ils?.close();
});

describe('startTestDesk with the ILS of the test', () => {
  it('refuses a desk whose ILS simulator came back after withIlsAt, saying which and why', async () => {
    const trapped = startTestDesk((config) => ({
      ...withIlsAt(config, ils.port),
      mqtt: { mode: 'off' },
      simulators: config.simulators.map((s) => (s.kind === 'rfid-pad' ? { ...s, tags: [] } : s)),
    })).then(async (started) => {
      await started.stop();
      return started;
    });
    await expect(trapped).rejects.toThrow(
      'the ILS simulator "ils-sim" would start with no ILS link of the desk using it (withIlsAt aimed it elsewhere): make `simulators` from withIlsAt\'s result, not from the configuration before it',
    );
  });

  it('starts a desk made from withIlsAt’s result, its link on the test’s ILS and no ILS simulator of its own', async () => {
    desk = await startTestDesk((config) => {
      const aimed = withIlsAt(config, ils.port);
      return {
        ...aimed,
        mqtt: { mode: 'off' },
        simulators: aimed.simulators.map((s) => (s.kind === 'rfid-pad' ? { ...s, tags: [] } : s)),
      };
    });
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    expect(desk.desk.simulators.handle(ilsSimulators, 'ils-sim')).toBeUndefined();
    expect(ils.connections).toBeGreaterThan(0);
  }, 30_000);
});
