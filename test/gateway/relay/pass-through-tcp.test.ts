/**
 * Over real TCP: what the ILS says reaches the self-check as the ILS said it,
 * vendor fields included, with the self-check's own sequence number, checksum
 * and terminator — whether the relay passes the ILS's bytes on or has to
 * write the answer again (fields out of the spec's order).
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseSip2RelayConfig, Sip2RelayServer } from '../../../src/gateway/relay/index.js';
import {
  decodeSip2Message,
  encodeSip2Text,
  type Sip2Charset,
  sip2Checksum,
} from '../../../src/protocols/sip2/index.js';
import { ScriptedServer, withDefaults } from '../../devices/ils/scripted-server.js';
import {
  connectIlsClient,
  TRANSCRIPT_DATE as D,
  KIOSK_ACCOUNT,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

/** The ILS's 18 for item it-1: a vendor field XZ after SIP2's own, a non-ASCII title. */
const ANSWER_18 = `1803020120260101    120000ABit-1|AJDer Zauberberg — Band 1|CK001|XZvendor note 7|`;
/** The same fields, the vendor one first: the relay must write it again, in the spec's order. */
const ANSWER_18_VENDOR_FIRST = `1803020120260101    120000XZvendor note 7|ABit-1|AJDer Zauberberg — Band 1|CK001|`;

/** What the self-check should receive: the body as the ILS sent it, then its own AY/AZ and terminator. */
function expected(
  body: string,
  sequence: number | undefined,
  charset: Sip2Charset,
  terminator: string,
): Buffer {
  const head = sequence === undefined ? body : `${body}AY${sequence}AZ`;
  const tail = sequence === undefined ? '' : sip2Checksum(encodeSip2Text(head, charset));
  return Buffer.concat([encodeSip2Text(head + tail, charset), Buffer.from(terminator)]);
}

describe('SIP2 relay: the ILS answer reaches the self-check intact', () => {
  const { kiosk, selfCheck, cleanups } = useRelayRigs();

  async function relayTo(answer18: string, answer24?: string): Promise<number> {
    const ils = await ScriptedServer.start(
      withDefaults((request, reply) => {
        // The ILS's own sequence number (its request's), its own checksum.
        if (request.type === 'itemInformation')
          reply.sendRaw(`${withErrorDetection(answer18, request.sequence ?? 0).toString('utf8')}`);
        if (request.type === 'patronStatusRequest' && answer24 !== undefined)
          reply.sendRaw(`${withErrorDetection(answer24, request.sequence ?? 0).toString('utf8')}`);
      }),
    );
    cleanups.push(() => ils.close());
    const client = await connectIlsClient(ils.port);
    cleanups.push(() => client.disconnect());
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({
        port: 0,
        accounts: [
          KIOSK_ACCOUNT,
          { kioskUser: 'old850', kioskPassword: 'old850pw', charset: 'ibm850', terminator: 'CRLF' },
          { kioskUser: 'sorter', kioskPassword: 'sorterpw', charset: 'ascii', errorDetection: false },
        ],
      }),
      ils: client.pool,
      logger: silentLogger(),
      clock: systemClock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    return relay.port;
  }

  it('passes on a vendor field byte for byte, with the self-check’s AY/AZ and terminator', async () => {
    const port = await relayTo(ANSWER_18);
    const link = await selfCheck(port);
    const before = link.received.length;
    await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 6));
    expect(link.received.subarray(before).toString('latin1')).toBe(
      expected(ANSWER_18, 6, 'utf-8', '\r').toString('latin1'),
    );
  });

  it('writes it in the self-check’s charset, terminator and error detection', async () => {
    const port = await relayTo(ANSWER_18);
    const old = await kiosk(port);
    expect(
      (await old.request(withErrorDetection('9300CNold850|COold850pw|CPMAIN|', 0, 'ibm850')))?.toString(),
    ).toMatch(/^941/);
    let before = old.received.length;
    await old.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 3, 'ibm850'));
    // Until its CR LF has arrived the link has only the frame.
    while (!old.received.subarray(before).includes(10)) await new Promise((resolve) => setImmediate(resolve));
    expect(old.received.subarray(before).toString('latin1')).toBe(
      expected(ANSWER_18, 3, 'ibm850', '\r\n').toString('latin1'),
    );

    const sorter = await kiosk(port);
    expect((await sorter.request(Buffer.from('9300CNsorter|COsorterpw|CPMAIN|\r')))?.toString()).toMatch(
      /^941/,
    );
    before = sorter.received.length;
    await sorter.request(Buffer.from(`17${D}AORIVERSIDE|ABit-1|AC|\r`));
    expect(sorter.received.subarray(before).toString('latin1')).toBe(
      expected(ANSWER_18, undefined, 'ascii', '\r').toString('latin1'),
    );
  });

  it('writes a | inside the ILS’s title as SIPServer does, &#124;, the title whole, not "Request not understood"', async () => {
    // An ILS that writes a title's | as it is cannot be passed on byte for byte: written again,
    // the | escaped as Koha and Evergreen escape it, never lost.
    const port = await relayTo(`1803020120260101    120000ABit-1|AJTintin | Tibet|CK001|`);
    const link = await selfCheck(port);
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 5));
    expect(answer?.toString()).toMatch(/^18030201.*\|AJTintin &#124; Tibet\|/);
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(decoded.ok && decoded.message).toMatchObject({
      itemIdentifier: 'it-1',
      titleIdentifier: 'Tintin | Tibet',
    });
  });

  it('keeps Koha’s &#124; in a title it has to write again (a vendor field before SIP2’s own), never a /', async () => {
    const port = await relayTo(`1803020120260101    120000XZnote|ABit-1|AJTINTIN&#124;TIBET|CK001|`);
    const link = await selfCheck(port);
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 4));
    expect(answer?.toString()).toMatch(/^18030201.*\|AJTINTIN&#124;TIBET\|.*XZnote\|AY4AZ/);
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(decoded.ok && decoded.message).toMatchObject({ titleIdentifier: 'TINTIN|TIBET' });
  });

  it('passes on Koha’s &#124; in a title and a vendor field whose id has a lower-case letter (Zq) byte for byte', async () => {
    // Koha and Evergreen write a | inside a value as &#124;; a field id is two letters of either case or digits.
    const answer18 = `1803020120260101    120000ABit-1|AJTINTIN&#124;TIBET|CK001|AQMAIN|Zqvendor note|`;
    const port = await relayTo(answer18);
    const link = await selfCheck(port);
    const before = link.received.length;
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 5));
    expect(link.received.subarray(before).toString('latin1')).toBe(
      expected(answer18, 5, 'utf-8', '\r').toString('latin1'),
    );
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.message).toMatchObject({
      titleIdentifier: 'TINTIN|TIBET',
      mediaType: { code: '001' },
      permanentLocation: 'MAIN',
      extraFields: [{ id: 'Zq', value: 'vendor note' }],
    });
  });

  it('passes on TINTIN|TIBET as the ILS wrote it: the title TINTIN and a field TI, as Koha and Evergreen read it', async () => {
    const answer18 = `1803020120260101    120000ABit-1|AJTINTIN|TIBET|`;
    const port = await relayTo(answer18);
    const link = await selfCheck(port);
    const before = link.received.length;
    await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 5));
    expect(link.received.subarray(before).toString('latin1')).toBe(
      expected(answer18, 5, 'utf-8', '\r').toString('latin1'),
    );
  });

  // SIP2 has no escape: a name "Ann|CQY" from an ILS that writes its | as it is reads as AE "Ann" and
  // CQ Y, and the ILS's own CQ after it says the opposite. Which the ILS meant cannot be told: the
  // self-check is told N, once — never a PIN valid that the ILS may have refused.
  it('tells the self-check CQ N, once, where the ILS’s answer says CQ both Y and N (a | in the name before it)', async () => {
    const status = '24              00120260101    120000AORIVERSIDE|AA21000001|';
    for (const [fields, sequence] of [
      ['AEAnn|CQY|BLY|CQN|', 1],
      ['AEAnn|CQN|BLY|CQY|', 2],
      ['AEAnn|BLY|CQN|AFPIN ok|CQY|', 3],
    ] as const) {
      const port = await relayTo(ANSWER_18, `${status}${fields}`);
      const link = await selfCheck(port);
      const answer = await link.request(
        withErrorDetection(`2300120260101    120000AORIVERSIDE|AA21000001|AC|AD1234|`, sequence),
      );
      const text = answer?.toString() ?? '';
      expect(text, fields).toMatch(/^24.*\|BLY\|/);
      expect(text.match(/\|CQ[YN]/g), fields).toEqual(['|CQN']);
    }
  });

  it('keeps a vendor field the ILS sent before SIP2’s own, written after them', async () => {
    const port = await relayTo(ANSWER_18_VENDOR_FIRST);
    const link = await selfCheck(port);
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|ABit-1|AC|`, 8));
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(decoded.ok && decoded.message).toMatchObject({
      type: 'itemInformationResponse',
      itemIdentifier: 'it-1',
      titleIdentifier: 'Der Zauberberg — Band 1',
      extraFields: [{ id: 'XZ', value: 'vendor note 7' }],
      sequence: 8,
    });
  });
});
