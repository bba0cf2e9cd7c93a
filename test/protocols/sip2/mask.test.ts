import { describe, expect, it } from 'vitest';
import { maskFrame } from '../../../src/protocols/sip2/index.js';

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
