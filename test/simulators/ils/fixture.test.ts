import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIlsFixture, parseIlsFixture } from '../../../simulators/ils/fixture.js';
import { ConfigError } from '../../../src/core/errors.js';
import { FIXTURE_DIR, SAMPLE_FIXTURE } from './paths.js';

describe('ILS fixture', () => {
  it('loads the sample library with its defaults applied', async () => {
    const fixture = await loadIlsFixture(SAMPLE_FIXTURE);
    expect(fixture.patrons.length).toBeGreaterThanOrEqual(10);
    expect(fixture.items.length).toBeGreaterThanOrEqual(30);
    expect(fixture.patrons.find((p) => p.barcode === '21000001')?.name).toBe('Zoë Åström');
    expect(fixture.circulation.fineThreshold).toBe(1000);
    expect(fixture.accounts.find((a) => a.loginUserId === 'kiosk1')).toMatchObject({
      charset: 'utf-8',
      terminator: 'CR',
      errorDetection: true,
    });
    expect(fixture.accounts.find((a) => a.loginUserId === 'legacy850')?.charset).toBe('ibm850');
  });

  it('shows in the sample every key real ILSes needed (issue 11)', async () => {
    const fixture = await loadIlsFixture(SAMPLE_FIXTURE);
    const account = (id: string) => fixture.accounts.find((a) => a.loginUserId === id);
    expect(account('sipserver-style')?.errorDetection).toBe('perRequest');
    expect(account('sorter')).toMatchObject({ checkoutOk: false, checkinNotCheckedOut: 'accept' });
    expect(account('kiosk-east')?.libraryName).toMatch(/East Branch/);
    expect(fixture.acs).toMatchObject({
      checkinOk: true,
      checkoutOk: true,
      libraryName: 'Riverside Public Library',
      unsupportedAnswer: 'refuse',
      scStatusBeforeLogin: 'answer',
    });
    expect(fixture.circulation.holdLimit).toBeNull();
    const lotta = fixture.patrons.find((p) => p.barcode === '21000011');
    expect(lotta).toMatchObject({
      suspendedPrivileges: ['charge', 'hold'],
      birthDate: '2012-03-08',
      patronType: 'Juvenile',
      internetPrivileges: 'Filtered',
    });
    expect(fixture.items.find((i) => i.barcode === '31000031')?.owningBranch).toBeUndefined();
  });

  it('loads a minimal JSON fixture', async () => {
    const fixture = await loadIlsFixture(join(FIXTURE_DIR, 'tiny-library.json'));
    expect(fixture.library).toMatchObject({ timeZone: 'UTC', currency: 'USD', language: 'english' });
    expect(fixture.circulation).toMatchObject({
      loanLimit: 10,
      renewalLimit: 2,
      loanPeriodDays: { default: 21 },
    });
  });

  it('names every mistake by its path', async () => {
    const error = await loadIlsFixture(join(FIXTURE_DIR, 'broken-library.yaml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'library.timeZone',
        'accounts.0.charset',
        'patrons.0.loans.0.due',
        'items.0.mediaType',
      ]),
    );
  });

  it('checks cross-references once the shapes are right', () => {
    const issues = (() => {
      try {
        parseIlsFixture({
          library: { name: 'L' },
          institutions: [{ id: 'I', name: 'I', branches: [{ code: 'B', name: 'B' }] }],
          accounts: [{ loginUserId: 'a', password: 'p', location: 'B', institution: 'NOWHERE' }],
          patrons: [{ barcode: 'P', pin: '1', name: 'P', loans: [{ item: '404', due: '+1d' }] }],
          items: [
            { barcode: 'X', title: 'X', owningBranch: 'B' },
            { barcode: 'X', title: 'X', owningBranch: 'ATTIC', holdQueue: ['999'] },
          ],
        });
      } catch (error) {
        return (error as ConfigError).issues;
      }
      return [];
    })();
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'accounts.0.institution', message: 'unknown institution' },
        { path: 'items.1.barcode', message: 'duplicate item barcode' },
        { path: 'items.1.owningBranch', message: 'unknown branch' },
        { path: 'items.1.holdQueue.0', message: 'unknown patron' },
        { path: 'patrons.0.loans.0.item', message: 'unknown item' },
      ]),
    );
  });

  it('says what is wrong with each of the keys real ILSes needed (issue 11), by its path', () => {
    const issues = (() => {
      try {
        parseIlsFixture({
          library: { name: 'L' },
          institutions: [{ id: 'I', name: 'I', branches: [{ code: 'B', name: 'B' }] }],
          accounts: [
            {
              loginUserId: 'a',
              password: 'p',
              location: 'B',
              institution: 'I',
              errorDetection: 'sometimes',
              checkinNotCheckedOut: 'maybe',
              checkoutOk: 'yes',
              libraryName: 'pipe | in it',
            },
          ],
          circulation: { loanLimit: 'unlimited', renewalLimit: -1, fineThreshold: 'lots' },
          acs: { unsupportedAnswer: 'shrug', scStatusBeforeLogin: 'sometimes', checkinOk: 1 },
          patrons: [
            {
              barcode: 'P',
              pin: '1',
              name: 'P',
              birthDate: '25/09/1964',
              patronType: 'a|b',
              internetPrivileges: 'x'.repeat(256),
              suspendedPrivileges: ['borrowing'],
            },
          ],
          items: [{ barcode: 'X', title: 'X', currentBranch: 'ATTIC' }],
        });
      } catch (error) {
        return (error as ConfigError).issues;
      }
      return [];
    })();
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'accounts.0.errorDetection',
        'accounts.0.checkinNotCheckedOut',
        'accounts.0.checkoutOk',
        'accounts.0.libraryName',
        'circulation.loanLimit',
        'circulation.renewalLimit',
        'circulation.fineThreshold',
        'acs.unsupportedAnswer',
        'acs.scStatusBeforeLogin',
        'acs.checkinOk',
        'patrons.0.birthDate',
        'patrons.0.patronType',
        'patrons.0.internetPrivileges',
        'patrons.0.suspendedPrivileges.0',
      ]),
    );
    const message = (path: string) => issues.find((issue) => issue.path === path)?.message;
    expect(message('circulation.loanLimit')).toMatch(/none/);
    expect(message('patrons.0.birthDate')).toMatch(/YYYY-MM-DD/);
    expect(message('acs.unsupportedAnswer')).toMatch(/refuse/);
  });

  it('checks an item’s current branch even when it has no owning branch', () => {
    const error = (() => {
      try {
        parseIlsFixture({
          library: { name: 'L' },
          institutions: [{ id: 'I', name: 'I', branches: [{ code: 'B', name: 'B' }] }],
          accounts: [{ loginUserId: 'a', password: 'p', location: 'B', institution: 'I' }],
          items: [{ barcode: 'X', title: 'X', currentBranch: 'ATTIC' }],
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'items.0.currentBranch', message: 'unknown branch' },
    ]);
  });
});
