/**
 * A transcript per SIP2 message pair, over real TCP against the simulator
 * loaded with the sample library: one self-check's session (93, 99, 23, 63,
 * 17, 11, 29, 09, 65, 19, 15, 37, 01, 25, 35, 97), each answer checked against
 * what the 3M SIP2 2.00 spec requires of it — not against what Carrel sends.
 *
 * Three tables a reader can hold against the spec:
 * - FIXED_RULES: the values each fixed field may take, in the spec's words; the
 *   positions come from test/fixtures/sip2/fixed-fields.ts (counted from the
 *   spec's layouts);
 * - REQUIRED and ECHOED: the variable fields each answer must carry, and those
 *   that must repeat the request's institution (AO), patron (AA) and item (AB);
 * - SESSION: the exchanges, each with what the spec says its answer means.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import {
  decodeSip2Message,
  encodeSip2Text,
  SIP2_MESSAGES,
  sip2Checksum,
} from '../../../src/protocols/sip2/index.js';
import { FIXED_FIELD_CASES } from '../../fixtures/sip2/fixed-fields.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

const DATE = '20260302    110000';

/** "18-char, fixed-length field: YYYYMMDDZZZZHHMMSS", ZZZZ blanks (local time) or `   Z`. */
const SIP2_DATE = /^\d{8}(?: {4}| {3}Z)\d{6}$/;
const Y_OR_N = /^[YN]$/; // "1-char, fixed-length field: Y or N"
const ZERO_OR_ONE = /^[01]$/; // "1-char, fixed-length field: 0 or 1"
const Y_N_OR_U = /^[YNU]$/; // "1-char, fixed-length field: Y or N or U"
/** "4-char, fixed-length field … from 0000 to 9999" (blanks only for a count the ACS does not support). */
const COUNT = /^\d{4}$/;

/** The values each fixed field of an answer may take, from the spec's description of it. */
const FIXED_RULES: Record<string, RegExp> = {
  'loginResponse.ok': ZERO_OR_ONE,
  'acsStatus.onlineStatus': Y_OR_N,
  'acsStatus.checkinOk': Y_OR_N,
  'acsStatus.checkoutOk': Y_OR_N,
  'acsStatus.acsRenewalPolicy': Y_OR_N,
  'acsStatus.statusUpdateOk': Y_OR_N,
  'acsStatus.offlineOk': Y_OR_N,
  'acsStatus.timeoutPeriod': /^\d{3}$/, // "3-char … in tenths of a second"
  'acsStatus.retriesAllowed': /^\d{3}$/,
  'acsStatus.dateTimeSync': SIP2_DATE,
  'acsStatus.protocolVersion': /^\d\.\d\d$/, // "x.xx"
  'checkoutResponse.ok': ZERO_OR_ONE,
  'checkoutResponse.renewalOk': Y_OR_N,
  'checkoutResponse.magneticMedia': Y_N_OR_U,
  'checkoutResponse.desensitize': Y_N_OR_U,
  'checkoutResponse.transactionDate': SIP2_DATE,
  'renewResponse.ok': ZERO_OR_ONE,
  'renewResponse.renewalOk': Y_OR_N,
  'renewResponse.magneticMedia': Y_N_OR_U,
  'renewResponse.desensitize': Y_N_OR_U,
  'renewResponse.transactionDate': SIP2_DATE,
  'checkinResponse.ok': ZERO_OR_ONE,
  'checkinResponse.resensitize': Y_OR_N,
  'checkinResponse.magneticMedia': Y_N_OR_U,
  'checkinResponse.alert': Y_OR_N,
  'checkinResponse.transactionDate': SIP2_DATE,
  // "A Y in any position indicates that the condition is true. A blank … means … not true."
  'patronStatusResponse.patronStatus': /^[ Y]{14}$/,
  'patronStatusResponse.language': /^\d{3}$/,
  'patronStatusResponse.transactionDate': SIP2_DATE,
  'patronInformationResponse.patronStatus': /^[ Y]{14}$/,
  'patronInformationResponse.language': /^\d{3}$/,
  'patronInformationResponse.transactionDate': SIP2_DATE,
  'patronInformationResponse.holdItemsCount': COUNT,
  'patronInformationResponse.overdueItemsCount': COUNT,
  'patronInformationResponse.chargedItemsCount': COUNT,
  'patronInformationResponse.fineItemsCount': COUNT,
  'patronInformationResponse.recallItemsCount': COUNT,
  'patronInformationResponse.unavailableHoldsCount': COUNT,
  'patronEnableResponse.patronStatus': /^[ Y]{14}$/,
  'patronEnableResponse.language': /^\d{3}$/,
  'patronEnableResponse.transactionDate': SIP2_DATE,
  'itemInformationResponse.circulationStatus': /^(0[1-9]|1[0-3])$/, // "01 other … 13 missing"
  'itemInformationResponse.securityMarker': /^0[0-3]$/, // "00 other, 01 None, 02 …, 03 …"
  'itemInformationResponse.feeType': /^0[1-9]$/, // "01 other/unknown … 09 hold fee"
  'itemInformationResponse.transactionDate': SIP2_DATE,
  'renewAllResponse.ok': ZERO_OR_ONE,
  'renewAllResponse.renewedCount': /^\d{4}$/,
  'renewAllResponse.unrenewedCount': /^\d{4}$/,
  'renewAllResponse.transactionDate': SIP2_DATE,
  'endSessionResponse.endSession': Y_OR_N,
  'endSessionResponse.transactionDate': SIP2_DATE,
  'feePaidResponse.paymentAccepted': Y_OR_N,
  'feePaidResponse.transactionDate': SIP2_DATE,
  'holdResponse.ok': ZERO_OR_ONE,
  'holdResponse.available': Y_OR_N,
  'holdResponse.transactionDate': SIP2_DATE,
  'itemStatusUpdateResponse.itemPropertiesOk': ZERO_OR_ONE,
  'itemStatusUpdateResponse.transactionDate': SIP2_DATE,
};

/** The variable fields the spec marks required in each answer: present, even when empty. */
const REQUIRED: Record<string, string[]> = {
  '94': [],
  '98': ['AO', 'BX'],
  '24': ['AO', 'AA', 'AE'],
  '64': ['AO', 'AA', 'AE'],
  '26': ['AO', 'AA', 'AE'],
  '12': ['AO', 'AA', 'AB', 'AJ', 'AH'],
  '30': ['AO', 'AA', 'AB', 'AJ', 'AH'],
  '10': ['AO', 'AB', 'AQ'],
  '18': ['AB', 'AJ'],
  '66': ['AO'],
  '36': ['AO', 'AA'],
  '38': ['AO', 'AA'],
  '16': ['AO', 'AA'],
  '20': ['AB'],
};

/** The request's institution, patron and item that each answer repeats. */
const ECHOED: Record<string, string[]> = {
  '24': ['AO', 'AA'],
  '64': ['AO', 'AA'],
  '26': ['AO', 'AA'],
  '12': ['AO', 'AA', 'AB'],
  '30': ['AO', 'AA', 'AB'],
  '10': ['AO', 'AB'],
  '18': ['AB'],
  '66': ['AO'],
  '36': ['AO', 'AA'],
  '38': ['AO', 'AA'],
  '16': ['AO', 'AA'],
  '20': ['AB'],
};

interface Exchange {
  /** What happens, and what the spec says the answer must then say. */
  step: string;
  /** The request as on the wire, without AY/AZ. */
  request: string;
  /** The answer's message code. */
  answer: string;
  /** Fixed fields this exchange decides, by name: the exact characters. */
  fixed?: Record<string, string>;
  /** Variable fields this exchange decides, by id. */
  fields?: Record<string, string | RegExp>;
}

const AO = 'AORIVERSIDE|';
const SESSION: Exchange[] = [
  { step: 'login: ok', request: '9300CNkiosk1|COkiosk1pw|CPMAIN|', answer: '94', fixed: { ok: '1' } },
  {
    step: 'SC status: online; 16 BX flags',
    request: '9900302.00',
    answer: '98',
    fixed: { onlineStatus: 'Y', protocolVersion: '2.00' },
    fields: { AO: 'RIVERSIDE', BX: /^[YN]{16}$/ },
  },
  {
    step: 'patron status, valid patron and PIN: no condition true, the 23’s language, BL Y, CQ Y',
    request: `23001${DATE}${AO}AA21000001|AC|AD1234|`,
    answer: '24',
    fixed: { patronStatus: ' '.repeat(14), language: '001' },
    fields: { AE: 'Zoë Åström', BL: 'Y', CQ: 'Y' },
  },
  {
    step: 'patron status, unknown patron: privileges denied, AE empty, BL N, the 23’s language',
    request: `23006${DATE}${AO}AAnobody|AC|AD1|`,
    answer: '24',
    fixed: { patronStatus: `YYYY${' '.repeat(10)}`, language: '006' },
    fields: { AE: '', BL: 'N' },
  },
  {
    step: 'patron information, charged items asked: six digit counts, the AU list',
    request: `63001${DATE}  Y       ${AO}AA21000001|AC|AD1234|`,
    answer: '64',
    fixed: { chargedItemsCount: '0002', recallItemsCount: '0000', unavailableHoldsCount: '0001' },
    fields: { AU: '31000001', BL: 'Y', CQ: 'Y' },
  },
  {
    step: 'item information, charged: status 04, tattle-tape 02, the due date',
    request: `17${DATE}${AO}AB31000001|AC|`,
    answer: '18',
    fixed: { circulationStatus: '04', securityMarker: '02' },
    fields: { AJ: 'Pippi Långstrump', AH: SIP2_DATE },
  },
  {
    step: 'item information, unknown item: status 01 other, title present and empty',
    request: `17${DATE}${AO}ABno-such-item|AC|`,
    answer: '18',
    fixed: { circulationStatus: '01', feeType: '01' },
    fields: { AJ: '' },
  },
  {
    step: 'checkout: ok 1, not a renewal, desensitize Y, a due date',
    request: `11NN${DATE}${' '.repeat(18)}${AO}AA21000009|AB31000005|AC|AD9999|`,
    answer: '12',
    fixed: { ok: '1', renewalOk: 'N', desensitize: 'Y' },
    fields: { AJ: 'Dune', AH: SIP2_DATE },
  },
  {
    step: 'checkout of an unknown item: ok 0, magnetic media U, desensitize N, AH empty',
    request: `11NN${DATE}${' '.repeat(18)}${AO}AA21000009|ABno-such-item|AC|AD9999|`,
    answer: '12',
    fixed: { ok: '0', magneticMedia: 'U', desensitize: 'N' },
    fields: { AJ: '', AH: '' },
  },
  {
    step: 'renew: ok 1, renewal Y, desensitize N (it is out already), a new due date',
    request: `29NN${DATE}${' '.repeat(18)}${AO}AA21000009|AD9999|AB31000005|AC|`,
    answer: '30',
    fixed: { ok: '1', renewalOk: 'Y', desensitize: 'N' },
    fields: { AH: SIP2_DATE },
  },
  {
    step: 'checkin: ok 1, resensitize Y, AA the borrower, AQ its branch',
    request: `09N${DATE}${DATE}APMAIN|${AO}AB31000005|AC|`,
    answer: '10',
    fixed: { ok: '1', resensitize: 'Y', alert: 'N' },
    fields: { AA: '21000009', AQ: 'MAIN', AJ: 'Dune' },
  },
  {
    step: 'checkin of an item not checked out: ok 0, a screen message',
    request: `09N${DATE}${DATE}APMAIN|${AO}AB31000005|AC|`,
    answer: '10',
    fixed: { ok: '0' },
    fields: { AF: /./ },
  },
  {
    step: 'renew all: ok 1, counts of renewed and not renewed',
    request: `65${DATE}${AO}AA21000001|AD1234|AC|`,
    answer: '66',
    fixed: { ok: '1', renewedCount: '0002', unrenewedCount: '0000' },
    fields: { BM: /^3100000[12]$/ },
  },
  {
    step: 'item status update: properties stored',
    request: `19${DATE}${AO}AB31000005|AC|CHspine repaired|`,
    answer: '20',
    fixed: { itemPropertiesOk: '1' },
    fields: { CH: 'spine repaired' },
  },
  {
    step: 'hold placed on an item out to someone else: ok 1, not available, a queue position',
    request: `15+${DATE}${AO}AA21000009|AD9999|AB31000003|AC|`,
    answer: '16',
    fixed: { ok: '1', available: 'N' },
    fields: { BR: '1', AB: '31000003' },
  },
  {
    step: 'fee paid: accepted, a transaction id',
    request: `37${DATE}0400EURBV7.50|${AO}AA21000003|AC|AD3333|CGF-1001|`,
    answer: '38',
    fixed: { paymentAccepted: 'Y' },
    fields: { BK: /./ },
  },
  {
    step: 'block patron, answered by a patron status: the four privileges denied, BL Y',
    request: `01N${DATE}${AO}ALCard retained|AA21000006|AC|`,
    answer: '24',
    fixed: { patronStatus: `YYYY${' '.repeat(10)}` },
    fields: { BL: 'Y', AF: 'Card retained' },
  },
  {
    step: 'patron enable: the block lifted, no condition true',
    request: `25${DATE}${AO}AA21000006|AC|AD6666|`,
    answer: '26',
    fixed: { patronStatus: ' '.repeat(14) },
    fields: { BL: 'Y', CQ: 'Y' },
  },
  {
    step: 'end patron session: ended',
    request: `35${DATE}${AO}AA21000001|AC|AD1234|`,
    answer: '36',
    fixed: { endSession: 'Y' },
  },
];

/** Where each fixed field of each message sits, and how wide it is. */
const POSITIONS = new Map(
  FIXED_FIELD_CASES.map((c) => [`${c.message}.${c.field}`, { at: c.at, width: c.both[0]!.wire.length }]),
);
const TYPE_BY_CODE = new Map<string, string>(
  Object.entries(SIP2_MESSAGES).map(([type, spec]) => [spec.code, type]),
);

function fixedFieldsOf(code: string): Array<{ name: string; at: number; width: number; rule: RegExp }> {
  const type = TYPE_BY_CODE.get(code)!;
  return SIP2_MESSAGES[type as keyof typeof SIP2_MESSAGES].fixed.map((field) => {
    const key = `${type}.${field.name}`;
    const position = POSITIONS.get(key);
    const rule = FIXED_RULES[key];
    if (!position || !rule) throw new Error(`no position or rule for ${key}`);
    return { name: field.name, ...position, rule };
  });
}

/** The variable fields of a frame (AY/AZ left off): each id with its values, in order. */
function variableFields(text: string, fixedEnd: number): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const part of text.slice(fixedEnd).split('|')) {
    if (part.length < 2) continue;
    const id = part.slice(0, 2);
    fields.set(id, [...(fields.get(id) ?? []), part.slice(2)]);
  }
  return fields;
}

function frame(text: string, sequence: number): Buffer {
  const body = encodeSip2Text(`${text}AY${sequence}AZ`, 'utf-8');
  return Buffer.concat([body, Buffer.from(`${sip2Checksum(body)}\r`, 'latin1')]);
}

describe('SIP2 transcript against the sample library: every answer as the spec requires it', () => {
  let simulator: IlsSimulator;
  let client: Sip2TestClient;
  const answers: Buffer[] = [];

  beforeAll(async () => {
    simulator = await startIlsSimulator({
      fixture: SAMPLE_FIXTURE,
      clock: new ManualClock(Date.UTC(2026, 2, 2, 10, 0, 0)),
    });
    client = await Sip2TestClient.connect(simulator.port);
  });
  afterAll(async () => {
    client.close();
    await simulator.close();
  });

  it('covers every request of SIP2 2.00 and a rule for every fixed field of every answer', () => {
    const asked = new Set(SESSION.map((exchange) => exchange.request.slice(0, 2)));
    expect([...asked, '97'].sort()).toEqual(
      ['01', '09', '11', '15', '17', '19', '23', '25', '29', '35', '37', '63', '65', '93', '97', '99'].sort(),
    );
    for (const code of Object.keys(REQUIRED)) expect(() => fixedFieldsOf(code)).not.toThrow();
  });

  SESSION.forEach((exchange, index) => {
    it(`${exchange.request.slice(0, 2)} → ${exchange.answer}: ${exchange.step}`, async () => {
      const sequence = index % 10;
      client.sendRaw(frame(exchange.request, sequence));
      const { frame: bytes } = await client.nextFrame();
      answers.push(bytes);
      const text = bytes.toString('utf8');

      // Error detection: the request's sequence number, a checksum that adds up.
      const decoded = decodeSip2Message(bytes);
      expect(decoded.ok && decoded.checksum, text).toBe('valid');
      expect(decoded.ok && decoded.message.sequence).toBe(sequence);
      expect(decoded.ok && decoded.warnings, text).toEqual([]);
      const body = text.replace(/AY\dAZ[0-9A-F]{4}$/, '');

      expect(body.slice(0, 2)).toBe(exchange.answer);
      const fixed = fixedFieldsOf(exchange.answer);
      const fixedEnd = Math.max(2, ...fixed.map((f) => f.at + f.width));
      for (const field of fixed) {
        const value = body.slice(field.at, field.at + field.width);
        expect(value, `${exchange.answer} ${field.name} "${value}"`).toMatch(field.rule);
        if (exchange.fixed?.[field.name] !== undefined) {
          expect(value, `${exchange.answer} ${field.name}`).toBe(exchange.fixed[field.name]);
        }
      }
      for (const name of Object.keys(exchange.fixed ?? {})) {
        expect(fixed.map((f) => f.name)).toContain(name);
      }

      const fields = variableFields(body, fixedEnd);
      for (const id of REQUIRED[exchange.answer] ?? []) {
        expect(fields.has(id), `${exchange.answer} lacks the required ${id}`).toBe(true);
      }
      const requested = variableFields(exchange.request, fixedLengthOfRequest(exchange.request));
      for (const id of ECHOED[exchange.answer] ?? []) {
        const asked = requested.get(id)?.[0];
        if (asked !== undefined) expect(fields.get(id)?.[0], `${exchange.answer} ${id} echoed`).toBe(asked);
      }
      for (const [id, expected] of Object.entries(exchange.fields ?? {})) {
        const values = fields.get(id);
        expect(values, `${exchange.answer} ${id}`).toBeDefined();
        if (typeof expected === 'string') expect(values).toContain(expected);
        else
          expect(
            values!.some((value) => expected.test(value)),
            `${id}: ${values}`,
          ).toBe(true);
      }
    });
  });

  it('97 → the last answer again, byte for byte', async () => {
    client.sendRaw('97AZFEF5\r');
    const { frame: again } = await client.nextFrame();
    expect(again.equals(answers.at(-1)!)).toBe(true);
  });
});

/** Where a request's variable fields start: after its fixed part. */
function fixedLengthOfRequest(request: string): number {
  const type = TYPE_BY_CODE.get(request.slice(0, 2))!;
  const spec = SIP2_MESSAGES[type as keyof typeof SIP2_MESSAGES];
  return spec.fixed.reduce((length, field) => length + field.width, 2);
}
