/**
 * SIP2 2.00 allows at most 255 characters in a variable field. A request with a
 * longer one is answered all the same — refused, its long field never echoed cut
 * short — instead of being left without an answer because the echo cannot be encoded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { frameOf, oversizedAnswerProblems, oversizedRequests } from '../../helpers/sip2-oversized.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

let simulator: IlsSimulator;
const clients: Sip2TestClient[] = [];

beforeEach(async () => {
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await simulator.close();
});

/**
 * The answer to `frame`, or undefined when it got none (the defect: silence). A
 * 99 follows the request; answers come in order, so a 98 first means none came.
 */
async function answerTo(client: Sip2TestClient, frame: Buffer): Promise<Buffer | undefined> {
  client.sendRaw(Buffer.concat([frame, frameOf('9900302.00', 9)]));
  const first = (await client.nextFrame()).frame;
  if (first.toString('latin1').startsWith('98')) return undefined;
  expect((await client.nextFrame()).frame.toString('latin1')).toMatch(/^98/);
  return first;
}

async function connect(loggedIn: boolean): Promise<Sip2TestClient> {
  const client = await Sip2TestClient.connect(simulator.port);
  clients.push(client);
  if (loggedIn) expect(await client.login('kiosk1', 'kiosk1pw')).toBe(true);
  return client;
}

describe('ILS simulator: fields over 255 characters', () => {
  it('answers the issue’s cases: 23 with a 300-digit AA, 63 with a 260-character AO, 11 and 17 with long ABs', async () => {
    const client = await connect(true);
    const D = '20260302    100000';
    const cases = [
      `23001${D}AORIVERSIDE|AA${'1'.repeat(300)}|AC|AD1234|`,
      `63001${D}          AO${'R'.repeat(260)}|AA21000001|AC|AD1234|`,
      `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB${'3'.repeat(300)}|AC|AD1234|`,
      `17${D}AORIVERSIDE|AB${'3'.repeat(1000)}|AC|`,
    ];
    for (const [index, body] of cases.entries()) {
      const frame = await answerTo(client, frameOf(body, index));
      expect(frame?.toString('latin1'), body.slice(0, 2)).toMatch(new RegExp(`^(24|64|12|18).*AY${index}AZ`));
    }
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
  });

  it('answers every request with every field oversized: refused, the long field not echoed', async () => {
    const problems: string[] = [];
    const client = await connect(true);
    let sequence = 0;
    for (const length of [256, 1000]) {
      for (const request of oversizedRequests(length)) {
        if (request.type === 'login') {
          // A login with a long CN, CO or CP: a fresh link (a refused login logs the link out).
          const fresh = await connect(false);
          const frame = await answerTo(fresh, frameOf(request.body, sequence));
          for (const problem of oversizedAnswerProblems(request, frame, sequence))
            problems.push(`${request.type} ${request.field} × ${length}: ${problem}`);
        } else {
          const frame = await answerTo(client, frameOf(request.body, sequence));
          for (const problem of oversizedAnswerProblems(request, frame, sequence))
            problems.push(`${request.type} ${request.field} × ${length}: ${problem}`);
        }
        sequence = (sequence + 1) % 10;
      }
    }
    expect(problems).toEqual([]);
    // The 01 was refused: the patron is not blocked.
    expect(simulator.state.patron('21000001')?.blocked).toBeFalsy();
  });

  it('answers when its own data makes a field too long: a fine line of id, amount and a 250-character description', async () => {
    const patron = simulator.state.patron('21000001')!;
    patron.fees.push({ id: 'F-LONG', type: 'other', amountCents: 150, description: 'D'.repeat(250) });
    patron.name = 'N'.repeat(255);
    const client = await connect(true);
    const answer = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: new Date(),
        summary: 'fineItems',
        institutionId: 'RIVERSIDE',
        patronIdentifier: '21000001',
        patronPassword: '1234',
      },
      'patronInformationResponse',
    );
    // Text a person reads is cut to 255; the patron and the answer stay valid.
    expect(answer.validPatron).toBe(true);
    expect(answer.patronIdentifier).toBe('21000001');
    expect(answer.fineItems?.at(-1)).toMatch(/^F-LONG 1\.50 D+$/);
    expect(answer.fineItems?.at(-1)).toHaveLength(255);
  });
});
