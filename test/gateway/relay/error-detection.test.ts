/**
 * SIP2 error detection on the relay's self-check link, over TCP: what is damaged on its way (a
 * checksum wrong or cut short) is asked for again (96); a sequence number sent without a
 * checksum — a self-check with its sequence-number option on and its checksum option off — is
 * no damage, and is relayed; a self-check asked again and again is named in the log.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import {
  ErrorDetectionAdvice,
  RESEND_LOOP_WARNING,
  readSelfCheckRequest,
  sendsChecksums,
} from '../../../src/gateway/relay/error-detection.js';
import { ILS_COULD_NOT_READ_MESSAGE, type RelayTransaction } from '../../../src/gateway/relay/index.js';
import { NOTICE_WINDOW_MS, RelayNotices } from '../../../src/gateway/relay/notices.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import {
  TRANSCRIPT_DATE as D,
  journalingOffline,
  SELF_CHECK_LOGIN as LOGIN,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const cr = (text: string) => Buffer.from(`${text}\r`, 'latin1');
/** An answer's variable fields after its `fixedLength` characters (code included), the first of each id. */
function fieldsOf(frame: Buffer | undefined, fixedLength: number): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of (frame?.toString('utf8') ?? '').slice(fixedLength).split('|')) {
    if (part.length >= 2 && !fields.has(part.slice(0, 2))) fields.set(part.slice(0, 2), part.slice(2));
  }
  return fields;
}

describe('SIP2 relay error detection', () => {
  const { rig, kiosk, rigWithSelfCheck, selfCheck } = useRelayRigs();

  it('relays the requests of a self-check that sends sequence numbers without checksums, its AY echoed', async () => {
    const capture = capturingLogger();
    const { relay, simulator } = await rig({ logger: capture.logger });
    const link = await kiosk(relay.port);
    // Its status first (before login), then the login, a lookup, a checkout: AY on each, AZ on none.
    const status = (await link.request(cr('9900302.00AY0')))?.toString('latin1');
    expect(status).toMatch(/^98Y.*\|AY0$/);
    expect((await link.request(cr(`${LOGIN}AY1`)))?.toString('latin1')).toBe('941AY1');
    const item = (await link.request(cr(`17${D}AORIVERSIDE|AB31000001|AC|AY2`)))?.toString('latin1');
    expect(item).toMatch(/^18.*\|AY2$/);
    const checkout = (
      await link.request(cr(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|AY3`))
    )?.toString('latin1');
    expect(checkout).toMatch(/^121.*\|AY3$/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).toContain('31000005');
    // Told once, naming the account and what to set, with no patron's data.
    const log = capture.text();
    const notices = log.split('\n').filter((line) => line.includes('sequence numbers without checksums'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('selfcheck-1');
    expect(notices[0]).toContain('errorDetection');
    expect(log).not.toContain('21000001');
    expect(log).not.toContain('AD1234');
  });

  it('answers a request sent with neither AY nor AZ without them, on an account that does error detection', async () => {
    const capture = capturingLogger();
    const { relay, simulator } = await rig({ logger: capture.logger });
    const link = await kiosk(relay.port);
    // A self-check with its error detection off (as Koha's and Evergreen's SIPServer take it): the
    // answer's error-detection fields follow the request's — the relay's own 94 and an ILS answer alike.
    expect((await link.request(cr(LOGIN)))?.toString('latin1')).toBe('941');
    const item = (await link.request(cr(`17${D}AORIVERSIDE|AB31000001|AC|`)))?.toString('latin1');
    expect(item).toMatch(/^18/);
    expect(item).not.toMatch(/AY\d|AZ[0-9A-F]{4}/);
    const checkout = (
      await link.request(cr(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`))
    )?.toString('latin1');
    expect(checkout).toMatch(/^121/);
    expect(checkout).not.toMatch(/AY\d|AZ[0-9A-F]{4}/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).toContain('31000005');
    const status = (await link.request(cr('9900302.00')))?.toString('latin1');
    expect(status).toMatch(/^98Y/);
    expect(status).not.toMatch(/AY\d|AZ[0-9A-F]{4}/);
    // The same link sending AY/AZ again is answered with them; a damaged checksum is still a 96.
    const whole = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 4));
    expect(whole?.toString('latin1')).toMatch(/^18.*AY4AZ[0-9A-F]{4}$/);
    expect((await link.request(cr(`17${D}AORIVERSIDE|AB31000001|AC|AY5AZ0000`)))?.toString('latin1')).toBe(
      '96AZFEF6',
    );
    // IT is told once which account's self-check sends no error detection, with no patron's data.
    const log = capture.text();
    const notices = log.split('\n').filter((line) => line.includes('sends no error detection'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('selfcheck-1');
    expect(notices[0]).toContain('errorDetection');
    expect(log).not.toContain('21000001');
    expect(log).not.toContain('AD1234');
  });

  // SIP2's sequence number is one digit. A self-check counting on past 9 (AY12) sends a frame its
  // checksum holds whole: Koha's and Evergreen's SIPServer serve it, answered without AY/AZ (they
  // find no error detection in it). It was asked for again (96), the same request, without end.
  it('serves a request whose AY has two digits and whose checksum holds, answered without AY/AZ as Koha and Evergreen answer it', async () => {
    const capture = capturingLogger();
    const { relay, simulator } = await rig({ logger: capture.logger });
    const link = await kiosk(relay.port);
    const status = (await link.request(withErrorDetection('9900302.00', 10)))?.toString('latin1');
    expect(status).toMatch(/^98Y/);
    expect(status).not.toMatch(/AY\d|AZ[0-9A-F]{4}/);
    expect((await link.request(withErrorDetection(LOGIN, 11)))?.toString('latin1')).toBe('941');
    const checkout = (
      await link.request(
        withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 12),
      )
    )?.toString('latin1');
    expect(checkout).toMatch(/^121/);
    expect(checkout).not.toMatch(/AY\d|AZ[0-9A-F]{4}/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).toContain('31000005');
    // A wrong checksum on such a frame is still damage.
    expect((await link.request(cr(`17${D}AORIVERSIDE|AB31000001|AC|AY13AZ0000`)))?.toString('latin1')).toBe(
      '96AZFEF6',
    );
    // IT is told once which account's self-check sends such sequence numbers, with no patron's data.
    const log = capture.text();
    const notices = log.split('\n').filter((line) => line.includes('not one digit'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('selfcheck-1');
    expect(log).not.toContain('21000001');
    expect(log).not.toContain('AD1234');
  });

  it('still asks again (96) for a checksum that is wrong or cut short, from a self-check that sends both', async () => {
    const { link } = await rigWithSelfCheck();
    for (const frame of [
      `17${D}AORIVERSIDE|AB31000001|AC|AY2AZ0000`,
      `17${D}AORIVERSIDE|AB31000001|AC|AY2AZ12`,
      `17${D}AORIVERSIDE|AB31000001|AC|AY2AZ`,
      '9900302.00AY1AZFCA',
    ]) {
      expect((await link.request(cr(frame)))?.toString('latin1'), frame).toBe('96AZFEF6');
    }
    const whole = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 2));
    expect(whole?.toString('latin1')).toMatch(/^18.*AY2AZ[0-9A-F]{4}$/);
  });

  it('reads a request with a space or tab after its checksum, as Koha and Evergreen do; a wrong checksum still gets a 96', async () => {
    const { relay, simulator } = await rig();
    const link = await kiosk(relay.port);
    const blankAfter = (text: string, sequence: number, blanks: string) => {
      const frame = withErrorDetection(text, sequence);
      return Buffer.concat([frame.subarray(0, -1), Buffer.from(`${blanks}\r`, 'latin1')]);
    };
    expect((await link.request(blankAfter(LOGIN, 0, ' ')))?.toString('latin1')).toMatch(/^941AY0AZ/);
    const item = await link.request(blankAfter(`17${D}AORIVERSIDE|AB31000001|AC|`, 1, '\t'));
    expect(item?.toString('latin1')).toMatch(/^18.*AY1AZ[0-9A-F]{4}$/);
    const checkout = await link.request(
      blankAfter(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 2, ' \t '),
    );
    expect(checkout?.toString('latin1')).toMatch(/^121.*AY2AZ[0-9A-F]{4}$/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).toContain('31000005');
    const wrong = await link.request(cr(`17${D}AORIVERSIDE|AB31000001|AC|AY3AZ0000 `));
    expect(wrong?.toString('latin1')).toBe('96AZFEF6');
  });

  it('reads a status (99) with its AY right after the fixed fields and a blank after it, AZ or none; a wrong checksum still gets a 96', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    // A self-check with sequence numbers and no checksums: its AY echoed, never asked again.
    expect((await link.request(cr('9900302.00AY1 ')))?.toString('latin1')).toMatch(/^98Y.*\|AY1$/);
    expect((await link.request(cr('9900302.00AY2\t ')))?.toString('latin1')).toMatch(/^98Y.*\|AY2$/);
    // With its checksum (the reference's vector), the blank left off before it is checked.
    expect((await link.request(cr('9900302.00AY1AZFCA5 ')))?.toString('latin1')).toMatch(
      /^98Y.*\|AY1AZ[0-9A-F]{4}$/,
    );
    expect((await link.request(cr('9900302.00AY1AZFCA6 ')))?.toString('latin1')).toBe('96AZFEF6');
  });

  it('reads a request sent after a blank (a space, a tab, an LF) that followed the last CR, as Koha and Evergreen do', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    const after = (noise: string, frame: Buffer) => Buffer.concat([Buffer.from(noise, 'latin1'), frame]);
    expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString('latin1')).toMatch(/^941AY0AZ/);
    let sequence = 1;
    for (const noise of [' ', '\t', '\n', ' \n', '\n ']) {
      const item = await link.request(
        after(noise, withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, sequence)),
      );
      expect(item?.toString('latin1'), JSON.stringify(noise)).toMatch(
        new RegExp(`^18.*\\|AB31000001\\|.*AY${sequence}AZ[0-9A-F]{4}$`),
      );
      sequence++;
    }
    // Without error detection too: a status after a blank is a status, answered 98.
    expect((await link.request(cr(' 9900302.00')))?.toString('latin1')).toMatch(/^98Y/);
  });

  it('names the account and what to check when a self-check is asked again for the same request time after time', async () => {
    const capture = capturingLogger();
    const { relay, link } = await rigWithSelfCheck({ logger: capture.logger });
    // A checksum summed in the wrong charset, say: the same bytes, wrong every time.
    const bad = cr(`63001${D}          AORIVERSIDE|AA21000001|AC|AD1234|AY1AZ0000`);
    for (let i = 0; i < 8; i++) expect((await link.request(bad))?.toString('latin1')).toBe('96AZFEF6');
    // Reconnecting (a self-check that gives up on a link and opens another) is not told again within the hour.
    const again = await selfCheck(relay.port);
    for (let i = 0; i < 4; i++) expect((await again.request(bad))?.toString('latin1')).toBe('96AZFEF6');
    const log = capture.text();
    const lines = log.split('\n');
    const loops = lines.filter((line) => line.includes('asked again (96)'));
    expect(loops).toHaveLength(1);
    // Past the warning the journal is not flooded: each further 96 is a debug line, not a warning.
    const warned = lines.filter(
      (line) => line.includes('unreadable self-check request') && line.includes('"level":40'),
    );
    expect(warned.length).toBeLessThanOrEqual(6);
    expect(loops[0]).toContain('selfcheck-1');
    expect(loops[0]).toMatch(/errorDetection/);
    expect(log).not.toContain('21000001');
    // Answered whole, the link is as good as ever.
    const whole = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 2));
    expect(whole?.toString('latin1')).toMatch(/^18/);
  });
});

describe('SIP2 relay: an ILS that keeps asking for a relayed request again (96)', () => {
  const { rigWithSelfCheck } = useRelayRigs();

  it('answers the self-check, and says in the log and the link health what to check, not that the ILS is unreachable', async () => {
    const capture = capturingLogger();
    const { simulator, client, link } = await rigWithSelfCheck({ logger: capture.logger });
    simulator.setFaults({ resendRequests: { type: 'checkout', times: 20 } });
    const checkout = await link.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 1),
    );
    expect(checkout?.toString('latin1')).toMatch(/^120/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).not.toContain('31000005');
    expect(client.pool.condition()).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/errorDetection and charset/),
    });
    const said = capture
      .text()
      .split('\n')
      .filter((line) => line.includes('"type":"checkout"'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/could not read the request \(96\)/);
    expect(said[0]).toMatch(/errorDetection.*charset/);
    expect(said[0]).not.toContain('unreachable');
    expect(capture.text()).not.toContain('21000001');
  });

  // SIP2's 96 says a request was not read, so nothing was done at the ILS; the journal's replay
  // would meet the same 96, and an item lent offline would leave the building as a loan the ILS
  // never made. The ILS is there: the self-check is told it cannot be done, and the patron sent to
  // staff, as a self-check shows a refusal's AF.
  it('refuses a checkout and a checkin the ILS cannot read, in words, and never takes them offline', async () => {
    const journaled: string[] = [];
    const counted: RelayTransaction[] = [];
    const { simulator, link } = await rigWithSelfCheck({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: journalingOffline(journaled),
      onTransaction: (transaction) => counted.push(transaction),
    });
    simulator.setFaults({ resendRequests: { type: 'checkout', times: 20 } });
    const checkout = await link.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 1),
    );
    // 12: ok 0, renewal N, magnetic media U, desensitize N (the item stays secured).
    const lent = fieldsOf(checkout, 24);
    expect(checkout?.toString('latin1').slice(0, 6)).toBe('120NUN');
    expect(lent.get('AF')).toBe(ILS_COULD_NOT_READ_MESSAGE);
    expect(lent.get('AB')).toBe('31000005');
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).not.toContain('31000005');

    simulator.setFaults({ resendRequests: { type: 'checkin', times: 20 } });
    const checkin = await link.request(withErrorDetection(`09N${D}${D}APMAIN|AORIVERSIDE|AB31000002|AC|`, 2));
    expect(checkin?.toString('latin1').slice(0, 3)).toBe('100');
    expect(fieldsOf(checkin, 24).get('AF')).toBe(ILS_COULD_NOT_READ_MESSAGE);

    expect(journaled).toEqual([]);
    // Counted as failed at the ILS, not as an offline answer.
    expect(counted).toEqual([
      { kind: 'checkout', terminal: 'selfcheck-1', outcome: 'failed', reason: 'ils_resend_limit' },
      { kind: 'checkin', terminal: 'selfcheck-1', outcome: 'failed', reason: 'ils_resend_limit' },
    ]);
    // Once the ILS reads it again, the same checkout is made.
    simulator.setFaults({});
    const again = await link.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 3),
    );
    expect(again?.toString('latin1')).toMatch(/^121/);
  });

  it('answers a status (99) the ILS cannot read with online N and nothing offered offline, so the self-check lends nothing itself', async () => {
    const { simulator, link } = await rigWithSelfCheck({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: () => ({ refused: 'offline_not_allowed' }),
    });
    simulator.setFaults({ resendRequests: { type: 'scStatus', times: 20 } });
    const status = await link.request(withErrorDetection('9900302.00', 1));
    // 98: online N, checkin ok N, checkout ok N, renewal N, status update N, offline ok N.
    expect(status?.toString('latin1').slice(0, 8)).toBe('98NNNNNN');
    expect(fieldsOf(status, 36).get('AF')).toBe(ILS_COULD_NOT_READ_MESSAGE);
  });
});

describe('reading the error detection of a self-check request', () => {
  const read = (frame: Uint8Array | string, checksums = true) =>
    readSelfCheckRequest(typeof frame === 'string' ? cr(frame) : frame, 'utf-8', checksums);

  it('tells damage on the line (96) from a sequence number sent without a checksum', () => {
    for (const [frame, damaged, sequenceOnly, sends] of [
      [withErrorDetection('9900302.00', 1), false, false, true],
      ['9900302.00', false, false, false],
      ['9900302.00AY1', false, true, false],
      [`17${D}AORIVERSIDE|AB31000001|AC|AY2`, false, true, false],
      [`17${D}AORIVERSIDE|AB31000001|AC|AY2|`, false, true, false],
      ['9900302.00AY1AZFCA', true, false, true],
      ['9900302.00AY1AZ', true, false, true],
      [`17${D}AORIVERSIDE|AB31000001|AC|AY2AZ0000`, true, false, true],
      ['9900302', true, false, undefined],
    ] as const) {
      const reading = read(frame);
      const name = frame.toString();
      expect(reading.damaged, name).toBe(damaged);
      expect(reading.sequenceOnly, name).toBe(sequenceOnly);
      expect(sendsChecksums(reading), name).toBe(sends);
    }
  });

  it('tells a request with neither AY nor AZ (answered with neither) from a 96 or 97, which carry no AY', () => {
    expect(read('9900302.00')).toMatchObject({
      damaged: false,
      sequenceOnly: false,
      withoutErrorDetection: true,
    });
    expect(read(`17${D}AORIVERSIDE|AB31000001|AC|`).withoutErrorDetection).toBe(true);
    expect(read(withErrorDetection('9900302.00', 1)).withoutErrorDetection).toBe(false);
    expect(read('9900302.00AY1').withoutErrorDetection).toBe(false);
    expect(read('97').withoutErrorDetection).toBe(false);
    expect(read('96').withoutErrorDetection).toBe(false);
    expect(read('9900302.00', false).withoutErrorDetection).toBe(false);
    // AY12 before a checksum that holds: answered with neither, as SIPServer answers it.
    expect(read(withErrorDetection('9900302.00', 12))).toMatchObject({
      damaged: false,
      withoutErrorDetection: true,
      sequenceNotADigit: true,
    });
    expect(sendsChecksums(read(withErrorDetection('9900302.00', 12)))).toBe(false);
    expect(read(withErrorDetection('9900302.00', 1)).sequenceNotADigit).toBe(false);
  });

  it('takes a wrong checksum or a lone AY as they come on a link without error detection', () => {
    expect(read(`17${D}AORIVERSIDE|AB31000001|AC|AY2AZ0000`, false)).toMatchObject({ damaged: false });
    expect(read('9900302.00AY1', false)).toMatchObject({ damaged: false, sequenceOnly: false });
  });

  it('advises IT once an hour per account, and warns of a run of 96s at its third', async () => {
    const clock = new ManualClock();
    const capture = capturingLogger();
    const notices = new RelayNotices(clock);
    const advice = new ErrorDetectionAdvice(notices, capture.logger);
    const count = (text: string) => capture.text().split(text).length - 1;
    advice.sequenceOnly('sc-1');
    advice.sequenceOnly('sc-1');
    advice.sequenceOnly('sc-2');
    expect(count('without checksums')).toBe(2);
    for (let i = 0; i < RESEND_LOOP_WARNING - 1; i++) advice.resent('sc-1', 'sip2_checksum_mismatch');
    expect(count('request after request')).toBe(0);
    advice.resent('sc-1', 'sip2_checksum_mismatch');
    advice.resent('sc-1', 'sip2_checksum_mismatch');
    expect(count('request after request')).toBe(1);
    // A new run within the hour is not told again; after the hour it is.
    advice.readWhole();
    for (let i = 0; i < RESEND_LOOP_WARNING; i++) advice.resent('sc-1', 'sip2_checksum_mismatch');
    expect(count('request after request')).toBe(1);
    await clock.advance(NOTICE_WINDOW_MS);
    advice.readWhole();
    for (let i = 0; i < RESEND_LOOP_WARNING; i++) advice.resent('sc-1', 'sip2_checksum_mismatch');
    advice.sequenceOnly('sc-1');
    expect(count('request after request')).toBe(2);
    expect(count('without checksums')).toBe(3);
  });
});
