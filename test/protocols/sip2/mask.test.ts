import { describe, expect, it } from 'vitest';
import { maskFrame, maskFrameForLog } from '../../../src/protocols/sip2/index.js';

describe('maskFrame', () => {
  it('masks login and terminal passwords but keeps the login user id', () => {
    expect(maskFrame('9300CNscclient|COclientpwd|CPWS1|AY0AZF2AB\r')).toBe(
      '9300CNscclient|CO***|CPWS1|AY0AZF2AB\r',
    );
  });

  it('masks PINs and patron data by default', () => {
    const frame =
      '6300120240315    142530  Y       AOmain|AA21234000012345|ACtermpwd|ADpin1234|BP1|BQ5|AY5AZ1234';
    expect(maskFrame(frame)).toBe(
      '6300120240315    142530  Y       AOmain|AA***|AC***|AD***|BP1|BQ5|AY5AZ1234',
    );
    expect(maskFrame(frame, { patronData: false })).toBe(
      '6300120240315    142530  Y       AOmain|AA21234000012345|AC***|AD***|BP1|BQ5|AY5AZ1234',
    );
  });

  it('masks names and contact details in answers', () => {
    const frame =
      '64NNNNNNNNNNNNNN00120240315    142530000100000003000000000000AOmain|AAp1|AEZoe Example|BEzoe@example.org|BFs555|BDStreet 1|AFHello|';
    const masked = maskFrame(frame);
    expect(masked).not.toMatch(/Zoe|zoe@|555|Street|p1/);
    expect(masked).toContain('AFHello|');
  });

  it('masks the patron extensions reference servers send: CY hold patron (10), PB birth date (64)', () => {
    const checkin =
      '101YNY20260302    100000AORIVERSIDE|AB31000010|AQMAIN|AA21000006|CV01|CY21000001|AFItem on hold|';
    expect(maskFrameForLog(checkin)).toBe(
      '101YNY20260302    100000AORIVERSIDE|AB31000010|AQMAIN|AA***|CV01|CY***|AFItem on hold|',
    );
    const info =
      '64              00120260302    100000000000000000000000000000AOmain|AAp1|AEZoe|AQEAST|PA20270131|PB19640925|PCAdult|';
    const masked = maskFrame(info);
    expect(masked).not.toContain('19640925');
    expect(masked).toContain('|PB***|');
    expect(masked).toContain('|PCAdult|');
  });

  it('does not mistake fixed-field text for a field id', () => {
    // 23's fixed part ends "...142530" and the next characters happen to be "AD" nowhere else.
    expect(maskFrame('2300120240315    142530AOmain|AAp1|ACx|ADsecret')).toBe(
      '2300120240315    142530AOmain|AA***|AC***|AD***',
    );
  });

  it('masks after delimiters in unknown or truncated frames', () => {
    expect(maskFrame('42xyz|ADsecret|AFok|')).toBe('42xyz|AD***|AFok|');
    expect(maskFrame(Buffer.from('Login failed'))).toBe('Login failed');
  });
});

describe('maskFrame with items', () => {
  it('masks item identifiers and the item lists of a 64, and nothing else more', () => {
    const checkout =
      '11YN20261123    100000                  AORIVERSIDE|AA21000009|AB31000005|AC|AD4321|AY1AZF00D';
    expect(maskFrame(checkout, { items: true })).toBe(
      '11YN20261123    100000                  AORIVERSIDE|AA***|AB***|AC***|AD***|AY1AZF00D',
    );
    const info =
      '64              00120240315    142530000100000002000000000000AOmain|AAp1|AEZoe|AJDune|AS31000010|AU31000001|AU31000002|AT31000003|AV31000004|BU31000005|CD31000006|';
    const masked = maskFrame(info, { items: true });
    expect(masked).not.toMatch(/3100000/);
    expect(masked).toContain('AJDune|');
    expect(maskFrame(info)).toContain('AU31000001|');
  });

  it('masks renewed and unrenewed items of a 66', () => {
    const renewAll = '6610001000120240315    142530AOmain|BM31000001|BN31000002 too soon|';
    expect(maskFrame(renewAll, { items: true })).toBe('6610001000120240315    142530AOmain|BM***|BN***|');
  });
});

describe('maskFrameForLog', () => {
  it('masks secrets and patron data in frames the field-wise mask cannot read', () => {
    const garbled = [
      // A status request whose fixed part is cut short, with a patron id and PIN in it.
      '99AA21000009|AD4321|',
      // An unknown message code.
      '77xxAA21000009|AD4321|COsecret|',
      // A mangled delimiter before the PIN: the field-wise mask sees a field "øA".
      '23001202611 23    100000AORIVERSIDE|AA21000009|\u00f8AD4321|AC|',
      // No delimiter at all after the fixed part.
      '9300CNkiosk1COsecret',
    ];
    for (const frame of garbled) {
      const logged = maskFrameForLog(frame);
      expect(logged).not.toContain('21000009');
      expect(logged).not.toContain('4321');
      expect(logged).not.toContain('secret');
    }
  });

  it('keeps what is not private in a well-formed frame, and drops the terminator', () => {
    const checkout =
      '11YN20261123    100000                  AORIVERSIDE|AA21000009|AB31000005|AC|AD4321|AY1AZF00D\r';
    expect(maskFrameForLog(checkout)).toBe(
      '11YN20261123    100000                  AORIVERSIDE|AA***|AB31000005|AC***|AD***|AY1AZF00D',
    );
  });
});
