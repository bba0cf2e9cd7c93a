import { afterEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { decodeSip2Message } from '../../../src/protocols/sip2/index.js';
import {
  KioskLink,
  loadTranscript,
  maskDates,
  type RelayRig,
  startRelayRig,
  withErrorDetection,
} from './helpers.js';

async function play(port: number, transcript: string[]): Promise<string[]> {
  const link = await KioskLink.open(port);
  const answers: string[] = [];
  try {
    for (const [index, text] of transcript.entries()) {
      const answer = await link.request(withErrorDetection(text, index % 10));
      if (!answer) throw new Error(`link closed after ${text.slice(0, 2)}`);
      answers.push(answer.toString('utf8'));
    }
  } finally {
    link.close();
  }
  return answers;
}

describe('SIP2 relay transparency', () => {
  let simulator: IlsSimulator | undefined;
  let rig: RelayRig | undefined;
  afterEach(async () => {
    await simulator?.close();
    await rig?.close();
    simulator = undefined;
    rig = undefined;
  });

  it('answers a recorded self-check session as the ILS does, dates apart', async () => {
    const transcript = loadTranscript();
    expect(transcript.length).toBeGreaterThan(10);

    simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
    const direct = await play(simulator.port, transcript);
    rig = await startRelayRig();
    const relayed = await play(rig.relay.port, transcript);

    expect(relayed.map(maskDates)).toEqual(direct.map(maskDates));
    // Every answer is a valid frame with the request's sequence number.
    for (const [index, frame] of relayed.entries()) {
      const decoded = decodeSip2Message(frame);
      expect(decoded.ok, frame).toBe(true);
      if (decoded.ok) {
        expect(decoded.checksum).toBe('valid');
        expect(decoded.message.sequence).toBe(index % 10);
      }
    }
    // The session did real work at the ILS: the checkout went through.
    expect(relayed.find((f) => f.startsWith('12'))?.slice(2, 3)).toBe('1');
  });
});
