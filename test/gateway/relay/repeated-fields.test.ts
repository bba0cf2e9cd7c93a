/**
 * A field SIP2 gives once (AA, AB, AD, BO…: every field of a request, none being repeatable) sent
 * twice by a self-check, through the relay over TCP to the ILS simulator. The decoder keeps the
 * first; relayed so, the ILS got both, and Koha and Evergreen may keep the last — a checkout to one
 * patron answered as made to another. Two values: no one can tell which the self-check meant, so
 * the request is refused, the field named; the same value twice says nothing more, and goes on once.
 */
import { describe, expect, it } from 'vitest';
import { onceOnlyRepeats } from '../../../src/gateway/relay/repeated-fields.js';
import { decodeSip2Message } from '../../../src/protocols/sip2/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import { TRANSCRIPT_DATE as D, useRelayRigs, withErrorDetection } from './helpers.js';

const CHECKOUT = `11YN${D}${' '.repeat(18)}AORIVERSIDE|`;

describe('SIP2 relay: a once-only field sent twice', () => {
  const { rigWithSelfCheck } = useRelayRigs();

  it('refuses a checkout naming two patrons (AA), naming the field and not the patrons, and asks the ILS nothing', async () => {
    const capture = capturingLogger();
    const { simulator, recorder, link } = await rigWithSelfCheck({ logger: capture.logger, recordIls: true });
    const asked = recorder!.sent.length;
    const answer = await link.request(
      withErrorDetection(`${CHECKOUT}AA21000001|AB31000005|AC|AD1234|AA21000009|`, 1),
    );
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.message).toMatchObject({
      type: 'checkoutResponse',
      ok: false,
      desensitize: false,
      // Neither patron named back: the answer is for no one.
      patronIdentifier: '',
      itemIdentifier: '31000005',
      screenMessage: ['Request refused: field AA (patron identifier) was sent twice with different values'],
      sequence: 1,
    });
    expect(recorder!.count('11', asked)).toBe(0);
    for (const patron of ['21000001', '21000009'])
      expect(simulator.state.loansOf(patron).map((loan) => loan.item)).not.toContain('31000005');
    const said = capture
      .text()
      .split('\n')
      .filter((line) => line.includes('"type":"checkout"') && !line.startsWith('{"level":20'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('AA (patron identifier) was sent twice with different values');
    expect(said[0]).not.toMatch(/21000001|21000009/);
  });

  it('refuses a checkout saying fee acknowledged (BO) both Y and N', async () => {
    const { simulator, link } = await rigWithSelfCheck();
    const answer = await link.request(
      withErrorDetection(`${CHECKOUT}AA21000001|AB31000005|AC|AD1234|BOY|BON|`, 1),
    );
    const decoded = decodeSip2Message(answer!);
    expect(decoded.ok && decoded.message).toMatchObject({
      type: 'checkoutResponse',
      ok: false,
      screenMessage: ['Request refused: field BO (fee acknowledged) was sent twice with different values'],
    });
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).not.toContain('31000005');
  });

  it('relays a checkout with the same patron and item twice as one, each field once', async () => {
    const { simulator, recorder, link } = await rigWithSelfCheck({ recordIls: true });
    const asked = recorder!.sent.length;
    const answer = await link.request(
      withErrorDetection(`${CHECKOUT}AA21000001|AB31000005|AA21000001|AC|AD1234|AB31000005|`, 1),
    );
    expect(answer?.toString('latin1')).toMatch(/^121.*AY1AZ/);
    expect(simulator.state.loansOf('21000001').map((loan) => loan.item)).toContain('31000005');
    const sent = recorder!.sent.slice(asked).filter((frame) => frame.startsWith('11'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.match(/\|AA/g)).toHaveLength(1);
    expect(sent[0]!.match(/\|AB/g)).toHaveLength(1);
  });
});

describe('reading a request’s once-only fields sent twice', () => {
  const read = (text: string) => {
    const decoded = decodeSip2Message(Buffer.from(`${text}\r`, 'latin1'));
    if (!decoded.ok) throw new Error(decoded.error.message);
    return { message: decoded.message, repeats: onceOnlyRepeats(decoded.message, decoded.warnings) };
  };
  const HOLD = `15+${D}BW${D}|BSMAIN|AORIVERSIDE|AA21000001|AB31000005|AC|`;

  it('leaves a request with each field once as it is, a vendor field sent twice included', () => {
    expect(read(`${CHECKOUT}AA21000001|AB31000005|AC|`).repeats).toBeUndefined();
    expect(read(`${CHECKOUT}AA21000001|AB31000005|AC|ZZa|ZZb|`).repeats).toBeUndefined();
  });

  it('keeps one of a text, a flag or a coded value sent twice the same, and names one sent two ways', () => {
    const same = read(`${CHECKOUT}AA21000001|AB31000005|AC|BOY|BOY|ZZa|`).repeats;
    expect(same?.ambiguous).toEqual([]);
    expect(same?.request).toMatchObject({ feeAcknowledged: true, extraFields: [{ id: 'ZZ', value: 'a' }] });
    const held = read(`${HOLD}BY2|BY2|`).repeats;
    expect(held?.ambiguous).toEqual([]);
    expect(held?.request.extraFields).toBeUndefined();
    expect(read(`${HOLD}BY2|BY3|`).repeats?.ambiguous).toEqual(['BY']);
    expect(read(`${CHECKOUT}AA21000001|AB31000005|AC|BOY|BON|AB31000006|`).repeats?.ambiguous).toEqual([
      'AB',
      'BO',
    ]);
  });
});

describe('SIP2 relay: a login (93) with a once-only field sent twice', () => {
  const { rig, kiosk } = useRelayRigs();

  it('refuses a login naming two user ids (CN), whichever comes first, naming the field and no password', async () => {
    const capture = capturingLogger();
    const { relay } = await rig({ logger: capture.logger });
    const link = await kiosk(relay.port);
    // Each user id is an account's, the password the first one's: taking the first was a guess.
    for (const [sequence, login] of [
      '9300CNselfcheck-1|COsc1pw|CPMAIN|CNkiosk1|',
      '9300CNkiosk1|COkiosk1pw|CPMAIN|CNselfcheck-1|',
    ].entries()) {
      const answer = await link.request(withErrorDetection(login, sequence));
      expect(answer?.toString('latin1')).toMatch(new RegExp(`^940AY${sequence}AZ`));
    }
    const said = capture.text();
    expect(said).toContain(
      'self-check login refused: field CN (login user id) was sent twice with different values',
    );
    expect(said).not.toMatch(/sc1pw|kiosk1pw/);
  });

  it('refuses a login with two passwords (CO), and logs in with the same user id and password twice', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    const twoPasswords = await link.request(
      withErrorDetection('9300CNselfcheck-1|COsc1pw|CPMAIN|COother|', 0),
    );
    expect(twoPasswords?.toString('latin1')).toMatch(/^940/);
    const same = await link.request(
      withErrorDetection('9300CNselfcheck-1|COsc1pw|CPMAIN|CNselfcheck-1|COsc1pw|', 1),
    );
    expect(same?.toString('latin1')).toMatch(/^941/);
  });
});
