import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';

/**
 * Who issued a card, on a desk without tokens (the default: it serves this machine only, and no one
 * there holds a token): the issue record says the card was issued "at this desk", as the gate page
 * says of an alarm acknowledged there — never Carrel's technical name for such a caller ('loopback'),
 * nor the MQTT client id of a program on the desk PC.
 */
describe('who issued a card, on a desk without tokens', () => {
  const { desk, call } = cardPrinterDesk();

  it('says a card issued over HTTP was issued at this desk, in the answer and the records', async () => {
    const issued = await call('POST', '/cards', { patron: '21000001' });
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', staff: 'at this desk' });
    const listed = (await call('GET', '/cards?limit=5')).json.issues;
    expect(listed.find((i: { issueId: string }) => i.issueId === issued.json.issueId)).toMatchObject({
      staff: 'at this desk',
    });
    expect(JSON.stringify(listed)).not.toContain('loopback');
  });

  it('says a card issued over the desk’s broker was issued at this desk, not by the client id', async () => {
    const clientId = 'card-kiosk-51c2';
    const base = 'carrel/library/desk-1';
    const client = await mqtt.connectAsync(desk().desk.urls().mqtt!, {
      clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    let answer: { status: string; data: { issueId: string; staff: string } };
    try {
      const answered = new Promise<typeof answer>((resolve) =>
        client.on('message', (_topic, payload) => resolve(JSON.parse(String(payload)))),
      );
      await client.subscribeAsync(`${base}/clients/${clientId}/response/cards.issue`);
      await client.publishAsync(
        `${base}/clients/${clientId}/request/cards.issue`,
        JSON.stringify({ transaction: 'card-1', data: { patron: '21000002' } }),
      );
      answer = await answered;
    } finally {
      await client.endAsync();
    }
    expect(answer.status).toBe('ok');
    expect(answer.data.staff).toBe('at this desk');
    const listed = (await call('GET', '/cards?limit=5')).json.issues;
    const record = listed.find((i: { issueId: string }) => i.issueId === answer.data.issueId);
    expect(record).toMatchObject({ result: 'issued', staff: 'at this desk' });
    expect(JSON.stringify(listed)).not.toContain(clientId);
  });
});
