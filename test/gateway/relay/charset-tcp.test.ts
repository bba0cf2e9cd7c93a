/**
 * Over real TCP: an ILS speaking UTF-8 answers with letters an 8-bit self-check's
 * charset lacks (Czech Č, Polish Ł, the euro sign, a dash). A self-check on IBM850
 * (edge-sip2's default, common on older Nordic and German self-checks) shows them
 * as an ISO-8859-1 one does: the letter without its marks, never "?".
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseSip2RelayConfig, Sip2RelayServer } from '../../../src/gateway/relay/index.js';
import { ScriptedServer, withDefaults } from '../../devices/ils/scripted-server.js';
import { connectIlsClient, TRANSCRIPT_DATE as D, useRelayRigs, withErrorDetection } from './helpers.js';

const TITLE = 'Čapek — Válka s mloky';
const OWNER = 'Łukasz Wałęsa';
const FEE = 'Replacement fee 5,00 €';

describe('SIP2 relay: letters an 8-bit self-check lacks', () => {
  const { kiosk, cleanups } = useRelayRigs();

  async function relay(): Promise<number> {
    const ils = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation')
          reply.send({
            type: 'itemInformationResponse',
            circulationStatus: { code: '04', name: null },
            securityMarker: { code: '02', name: null },
            feeType: { code: '01', name: null },
            transactionDate: D,
            itemIdentifier: request.itemIdentifier,
            titleIdentifier: TITLE,
            screenMessage: [`Borrowed by ${OWNER}`, FEE],
          } as never);
      }),
    );
    cleanups.push(() => ils.close());
    const client = await connectIlsClient(ils.port);
    cleanups.push(() => client.disconnect());
    const server = new Sip2RelayServer({
      config: parseSip2RelayConfig({
        port: 0,
        accounts: [
          { kioskUser: 'old850', kioskPassword: 'old850pw', charset: 'ibm850' },
          { kioskUser: 'latin1', kioskPassword: 'latin1pw', charset: 'iso-8859-1' },
        ],
      }),
      ils: client.pool,
      logger: silentLogger(),
      clock: systemClock,
    });
    await server.start();
    cleanups.push(() => server.stop());
    return server.port;
  }

  async function itemAnswer(port: number, user: string, charset: 'ibm850' | 'iso-8859-1'): Promise<string> {
    const link = await kiosk(port);
    const login = await link.request(withErrorDetection(`9300CN${user}|CO${user}pw|CPMAIN|`, 0, charset));
    expect(login?.toString('latin1')).toMatch(/^941/);
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 1, charset));
    return iconv.decode(answer!, charset === 'ibm850' ? 'cp850' : 'latin1');
  }

  it('shows a self-check on IBM850 the title, name and fee as one on ISO-8859-1 sees them, never "?"', async () => {
    const port = await relay();
    const latin1 = await itemAnswer(port, 'latin1', 'iso-8859-1');
    const ibm850 = await itemAnswer(port, 'old850', 'ibm850');
    expect(latin1).toContain('AJCapek - Válka s mloky|');
    expect(ibm850).toContain('AJCapek - Válka s mloky|');
    expect(ibm850).toContain('AFBorrowed by Lukasz Walesa|');
    expect(ibm850).toContain('AFReplacement fee 5,00 EUR|');
    expect(ibm850).not.toContain('?');
  });
});
