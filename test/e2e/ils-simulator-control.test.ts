import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

/** The simulated desk's ILS simulator shows its control API in the start-up banner's list, like the others. */
let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
});

afterAll(async () => {
  await testDesk?.stop();
});

describe('the ILS simulator on the simulated desk', () => {
  it('lists its control API URL, with its SIP2 address in the detail, and answers there', async () => {
    const entry = testDesk.desk.urls().simulators.find((sim) => sim.kind === 'ils');
    expect(entry).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      detail: expect.stringMatching(/^SIP2 2\.00 on tcp:\/\/127\.0\.0\.1:\d+, fixture /),
    });
    const state = (await (await fetch(`${entry!.url}/api/state`)).json()) as { sip2: string; faults: object };
    expect(entry!.detail).toContain(state.sip2);
    expect(state.faults).toEqual({});
  });
});
