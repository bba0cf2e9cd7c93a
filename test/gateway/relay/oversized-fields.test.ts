/**
 * SIP2 2.00 allows at most 255 characters in a variable field. Through the relay,
 * over real TCP: a self-check's request with a longer one is answered (refused,
 * its long field never echoed cut short), and so is one whose ILS answer holds a
 * longer one — never silence while the self-check waits for its timeout.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import {
  offlineAcceptance,
  parseSip2RelayConfig,
  Sip2RelayServer,
  sip2RelayOfflineSchema,
} from '../../../src/gateway/relay/index.js';
import {
  decodeSip2Message,
  SIP2_FIELDS,
  Sip2Framer,
  sip2FieldInWords,
} from '../../../src/protocols/sip2/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import { frameOf, oversizedAnswerProblems, oversizedRequests } from '../../helpers/sip2-oversized.js';
import {
  connectIlsClient,
  TRANSCRIPT_DATE as D,
  KIOSK_ACCOUNT,
  type KioskLink,
  SELF_CHECK_LOGIN as LOGIN,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const STATUS = withErrorDetection('9900302.00', 9);

/**
 * The answer to `frame`, or undefined when it got none (the defect: silence). A
 * 99 follows the request; answers come in order, so a 98 first means none came.
 */
async function answerTo(link: KioskLink, frame: Buffer): Promise<Buffer | undefined> {
  link.socket.write(Buffer.concat([frame, STATUS]));
  const first = await link.next();
  if (first === undefined) throw new Error('the relay closed the link');
  if (first.toString('latin1').startsWith('98')) return undefined;
  expect((await link.next())?.toString('latin1')).toMatch(/^98/);
  return first;
}

/** The log lines at info level and above. */
const aboveDebug = (log: string) =>
  log
    .split('\n')
    .filter((line) => !line.startsWith('{"level":20'))
    .join('\n');

/**
 * An ILS that answers with fields longer than SIP2 allows: a 24 with a 300-character
 * name and screen message, an 18 naming a 300-character item.
 */
async function startLongWindedIls(): Promise<Server> {
  const server = createServer((socket) => {
    const framer = new Sip2Framer();
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const event of framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const text = Buffer.from(event.frame).toString('latin1');
        const sequence = Number(/AY(\d)AZ/.exec(text)?.[1] ?? 0);
        const code = text.slice(0, 2);
        const body =
          code === '93'
            ? '941'
            : code === '23'
              ? `24${' '.repeat(14)}001${D}AORIVERSIDE|AA21000001|AE${'N'.repeat(300)}|BLY|AF${'M'.repeat(400)}|`
              : code === '17'
                ? `18030001${D}AB${'3'.repeat(300)}|AJ${'T'.repeat(300)}|`
                : `98YYYYNN03000320260101    1200002.00AO${'R'.repeat(300)}|AM${'L'.repeat(300)}|BXYYYYYYYYYYYYYYYY|`;
        socket.write(withErrorDetection(body, sequence));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('SIP2 relay: fields over 255 characters', () => {
  const { rig, kiosk, rigWithSelfCheck, cleanups } = useRelayRigs();

  it('answers the issue’s cases: 23 with a 300-digit AA, 63 with a 260-character AO, 11 and 17 with long ABs', async () => {
    const { link } = await rigWithSelfCheck();
    const cases = [
      `23001${D}AORIVERSIDE|AA${'1'.repeat(300)}|AC|AD1234|`,
      `63001${D}          AO${'R'.repeat(260)}|AA21000001|AC|AD1234|`,
      `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB${'3'.repeat(300)}|AC|AD1234|`,
      `17${D}AORIVERSIDE|AB${'3'.repeat(1000)}|AC|`,
    ];
    for (const [index, body] of cases.entries()) {
      const answer = await answerTo(link, withErrorDetection(body, index + 1));
      expect(answer?.toString('latin1'), body.slice(0, 2)).toMatch(
        new RegExp(`^(24|64|12|18).*AY${index + 1}AZ`),
      );
    }
  });

  it('answers every request with every field oversized: refused, the long field not echoed', async () => {
    const { relay, link } = await rigWithSelfCheck();
    const problems: string[] = [];
    let sequence = 1;
    for (const length of [256, 1000]) {
      for (const request of oversizedRequests(length)) {
        const target = request.type === 'login' ? await kiosk(relay.port) : link;
        const frame = await answerTo(target, frameOf(request.body, sequence));
        for (const problem of oversizedAnswerProblems(request, frame, sequence))
          problems.push(`${request.type} ${request.field} × ${length}: ${problem}`);
        if (request.type === 'login') target.close();
        sequence = (sequence + 1) % 10;
      }
    }
    expect(problems).toEqual([]);
  });

  // Which field was too long is what IT and a kiosk developer need to find the setting or the
  // scanner that sent it; its value is not said anywhere (it may be a patron id or a PIN).
  it('names the long field, by its SIP2 code and name, in the screen message and the log, never its value', async () => {
    const capture = capturingLogger();
    const { relay, link } = await rigWithSelfCheck({ logger: capture.logger });
    const problems: string[] = [];
    let sequence = 1;
    for (const request of oversizedRequests(300)) {
      const named = sip2FieldInWords(request.field);
      const logged = capture.text().length;
      if (request.type === 'login') {
        const other = await kiosk(relay.port);
        expect((await other.request(frameOf(request.body, sequence)))?.toString()).toMatch(/^940/);
        other.close();
      } else {
        const answer = await answerTo(link, frameOf(request.body, sequence));
        const decoded = decodeSip2Message(answer!);
        const screen = decoded.ok
          ? ((decoded.message as { screenMessage?: string[] }).screenMessage ?? [])
          : [];
        // A long Y/N flag (BO, BI) is read as N, as any malformed flag: nothing to refuse.
        if (SIP2_FIELDS[request.field].kind !== 'flag' && !screen.some((line) => line.includes(named)))
          problems.push(`${request.type} ${request.field}: screen message ${JSON.stringify(screen)}`);
      }
      const said = capture.text().slice(logged);
      if (SIP2_FIELDS[request.field].kind !== 'flag' && !said.includes(named))
        problems.push(`${request.type} ${request.field}: not named in the log`);
      sequence = (sequence + 1) % 10;
    }
    expect(problems).toEqual([]);
    // Frames traced at debug level are masked as ever (maskFrameForLog); the rest says no value.
    expect(aboveDebug(capture.text())).not.toContain('7A7A7A7A');
  });

  it('refuses a checkout with a long item id while the ILS is down, naming the field, and journals nothing', async () => {
    const journaled: string[] = [];
    const started = await rig({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: (request) => {
        journaled.push(request.type);
        const answer = offlineAcceptance(request, {
          policy: sip2RelayOfflineSchema.parse({ checkoutOk: true }),
          now: new Date(),
          institutionId: 'RIVERSIDE',
        });
        return answer ? { answer } : { refused: 'offline_not_allowed' };
      },
    });
    await started.simulator.close();
    const link = await kiosk(started.relay.port);
    expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    const answer = await answerTo(
      link,
      withErrorDetection(
        `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB${'3'.repeat(300)}|AC|AD1234|`,
        1,
      ),
    );
    // Not journaled: its replay could not send it either, a conflict for staff of a loan refused.
    expect(journaled).toEqual([]);
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.message).toMatchObject({
      type: 'checkoutResponse',
      ok: false,
      desensitize: false,
      itemIdentifier: '',
      screenMessage: [expect.stringContaining('AB (item identifier)')],
    });
  });

  it('names the field the ILS link cannot carry when only its charset makes it too long', async () => {
    const capture = capturingLogger();
    // The self-check speaks UTF-8, the ILS ASCII: a title of 250 letters and two € is 252
    // characters from the self-check, 256 as EUR EUR on the ILS link.
    const { link } = await rigWithSelfCheck({ logger: capture.logger, ilsCharset: 'ascii' });
    const title = `${'T'.repeat(250)}€€`;
    const answer = await link.request(
      withErrorDetection(
        `29NN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AD1234|AB31000002|AJ${title}|AC|`,
        1,
      ),
    );
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.message).toMatchObject({
      type: 'renewResponse',
      ok: false,
      screenMessage: [expect.stringContaining('AJ (title identifier)')],
    });
    expect(aboveDebug(capture.text())).toContain('AJ (title identifier)');
    expect(aboveDebug(capture.text())).not.toContain('TTTTTTTT');
  });

  it('answers while the ILS is down too: a 98 after a request with a 300-character AO', async () => {
    const started = await rig();
    await started.simulator.close();
    const link = await kiosk(started.relay.port);
    expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    const refused = await answerTo(
      link,
      withErrorDetection(`63001${D}          AO${'R'.repeat(300)}|AA21000001|AC|AD1234|`, 1),
    );
    expect(refused?.toString('latin1')).toMatch(/^64.*AO\|AA21000001\|.*AY1AZ/);
    // The offline 98 names the institution the self-check last sent: not that one, cut short.
    const status = await link.request(withErrorDetection('9900302.00', 2));
    const decoded = decodeSip2Message(status!);
    expect(decoded.ok && decoded.message).toMatchObject({ type: 'acsStatus', onlineStatus: false });
    expect(decoded.ok && decoded.message.type === 'acsStatus' && decoded.message.institutionId).not.toMatch(
      /R{2,}/,
    );
  });

  it('answers when the ILS’s own answer has a field over 255: text cut, an identifier refused', async () => {
    const ils = await startLongWindedIls();
    cleanups.push(() => new Promise<void>((resolve) => ils.close(() => resolve())));
    const address = ils.address();
    const client = await connectIlsClient(typeof address === 'object' && address ? address.port : 0);
    cleanups.push(() => client.disconnect());
    const capture = capturingLogger();
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({ port: 0, accounts: [KIOSK_ACCOUNT] }),
      ils: client.pool,
      logger: capture.logger,
      clock: systemClock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const link = await kiosk(relay.port);
    expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);

    const patron = await link.request(withErrorDetection(`23001${D}AORIVERSIDE|AA21000001|AC|AD1234|`, 1));
    const patronAnswer = decodeSip2Message(patron!);
    expect(patronAnswer.ok && patronAnswer.message).toMatchObject({
      type: 'patronStatusResponse',
      patronIdentifier: '21000001',
      personalName: 'N'.repeat(255),
      validPatron: true,
      screenMessage: ['M'.repeat(255)],
      sequence: 1,
    });

    const item = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000005|AC|`, 2));
    const itemAnswer = decodeSip2Message(item!);
    expect(itemAnswer.ok && itemAnswer.message).toMatchObject({
      type: 'itemInformationResponse',
      itemIdentifier: '',
      titleIdentifier: 'T'.repeat(255),
      sequence: 2,
    });
    expect(
      itemAnswer.ok &&
        itemAnswer.message.type === 'itemInformationResponse' &&
        itemAnswer.message.screenMessage?.[0],
    ).toMatch(/longer than 255/);

    const status = await link.request(withErrorDetection('9900302.00', 3));
    const statusAnswer = decodeSip2Message(status!);
    expect(statusAnswer.ok && statusAnswer.message).toMatchObject({
      type: 'acsStatus',
      institutionId: '',
      libraryName: 'L'.repeat(255),
    });
    expect(capture.text()).not.toContain('cannot encode answer');
  });
});
