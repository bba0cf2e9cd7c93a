/**
 * An ILS whose SIP2 server sums the characters of a message for its checksum, not the bytes
 * it sends (seen in the wild: a 18 titled "Anam ċara" whose AZ only matches the sum of its
 * characters; test/protocols/sip2/checksum.test.ts). Its answers with no letter past ASCII
 * check out either way; the first patron named Zoë must not find the library system "offline".
 * Real TCP, a scripted ILS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientFor } from './helpers.js';
import { DATE, ScriptedServer, withDefaults } from './scripted-server.js';

let server: ScriptedServer;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

/** `body` with AY and the checksum such a server writes: the sum of its characters. */
function summedOverCharacters(body: string, sequence: number): string {
  const head = `${body}AY${sequence}AZ`;
  let sum = 0;
  for (let i = 0; i < head.length; i++) sum += head.charCodeAt(i);
  return `${head}${(-sum & 0xffff).toString(16).toUpperCase().padStart(4, '0')}\r`;
}

describe('an ILS summing characters for its checksum', () => {
  it('reads its answer about a patron named Zoë Åström at once, not asking again or failing', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'patronStatusRequest')
          reply.sendRaw(
            summedOverCharacters(
              `24              001${DATE}AOINST|AA${request.patronIdentifier}|AEZoë Åström|BLY|CQY|`,
              request.sequence ?? 0,
            ),
          );
      }),
    );
    const client = clientFor(server.port, { requestTimeoutMs: 2000 });
    await client.connect();
    cleanups.push(() => client.disconnect());
    const answer = await client.patronStatus('21000001', { pin: '1234' });
    expect(answer.message).toMatchObject({ personalName: 'Zoë Åström', validPatron: true });
    expect(server.requests('requestAcsResend')).toHaveLength(0);
  });

  it('still asks again (97) for an answer whose checksum matches neither sum', async () => {
    let garbled = true;
    let sequence = 0;
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'patronStatusRequest') sequence = request.sequence ?? 0;
        if (request.type === 'patronStatusRequest' || request.type === 'requestAcsResend') {
          const frame = summedOverCharacters(
            `24              001${DATE}AOINST|AA21000001|AEZoë Åström|BLY|CQY|`,
            sequence,
          );
          reply.sendRaw(garbled ? frame.replace('Zoë', 'Zoé') : frame);
          garbled = false;
        }
      }),
    );
    const client = clientFor(server.port, { requestTimeoutMs: 2000 });
    await client.connect();
    cleanups.push(() => client.disconnect());
    const answer = await client.patronStatus('21000001', { pin: '1234' });
    expect(answer.message).toMatchObject({ personalName: 'Zoë Åström' });
    expect(server.requests('requestAcsResend')).toHaveLength(1);
  });
});

/** `body` with AY and the checksum over its bytes, then `after` before the CR. */
function withTrailing(body: string, sequence: number, after: string): string {
  const head = `${body}AY${sequence}AZ`;
  const sum = [...Buffer.from(head, 'utf8')].reduce((total, byte) => total + byte, 0);
  return `${head}${(-sum & 0xffff).toString(16).toUpperCase().padStart(4, '0')}${after}\r`;
}

describe('an ILS writing blanks after its checksum', () => {
  for (const [what, after] of [
    ['a space', ' '],
    ['a tab', '\t'],
    ['a space and a tab', ' \t'],
  ] as const) {
    it(`reads an answer with ${what} before the CR at once (Koha and php-sip2 trim them)`, async () => {
      server = await ScriptedServer.start(
        withDefaults((request, reply) => {
          if (request.type === 'patronStatusRequest')
            reply.sendRaw(
              withTrailing(
                `24              001${DATE}AOINST|AA${request.patronIdentifier}|AEZoë Åström|BLY|CQY|`,
                request.sequence ?? 0,
                after,
              ),
            );
        }),
      );
      const client = clientFor(server.port, { requestTimeoutMs: 2000 });
      await client.connect();
      cleanups.push(() => client.disconnect());
      const answer = await client.patronStatus('21000001', { pin: '1234' });
      expect(answer.message).toMatchObject({ personalName: 'Zoë Åström', validPatron: true });
      expect(answer.checksum).toBe('valid');
      expect(server.requests('requestAcsResend')).toHaveLength(0);
    });
  }

  it('still asks again (97) when the checksum before the blank is wrong', async () => {
    let garbled = true;
    let sequence = 0;
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'patronStatusRequest') sequence = request.sequence ?? 0;
        if (request.type === 'patronStatusRequest' || request.type === 'requestAcsResend') {
          const frame = withTrailing(
            `24              001${DATE}AOINST|AA21000001|AEZoë Åström|BLY|CQY|`,
            sequence,
            ' ',
          );
          reply.sendRaw(garbled ? frame.replace('CQY', 'CQN') : frame);
          garbled = false;
        }
      }),
    );
    const client = clientFor(server.port, { requestTimeoutMs: 2000 });
    await client.connect();
    cleanups.push(() => client.disconnect());
    const answer = await client.patronStatus('21000001', { pin: '1234' });
    expect(answer.message).toMatchObject({ validPatronPassword: true });
    expect(server.requests('requestAcsResend')).toHaveLength(1);
  });
});
