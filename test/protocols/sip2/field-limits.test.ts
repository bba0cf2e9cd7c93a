/** The 255-character rule for answers (SIP2 2.00 variable fields), per field. */
import { describe, expect, it } from 'vitest';
import {
  type AnySip2Message,
  decodeSip2Message,
  encodeSip2Message,
  FIELD_TOO_LONG_MESSAGE,
  fieldsTooLongInWords,
  fitSip2Answer,
  oversizedFields,
  sip2FieldInWords,
  sip2Refusal,
} from '../../../src/protocols/sip2/index.js';

const DATE = '20260302    100000';
const long = (length: number, c = 'X') => c.repeat(length);

const checkout = {
  type: 'checkoutResponse',
  ok: true,
  renewalOk: true,
  magneticMedia: false,
  desensitize: true,
  transactionDate: DATE,
  institutionId: 'RIVERSIDE',
  patronIdentifier: '21000001',
  itemIdentifier: '31000005',
  titleIdentifier: 'Dune',
  dueDate: DATE,
} as const;

describe('oversizedFields', () => {
  it('names each variable field, list entry and extra field over 255, and nothing at 255', () => {
    expect(oversizedFields({ ...checkout, titleIdentifier: long(255) })).toEqual([]);
    expect(
      oversizedFields({
        ...checkout,
        patronIdentifier: long(256),
        screenMessage: ['ok', long(300)],
        extraFields: [{ id: 'ZZ', value: long(256) }],
      }),
    ).toEqual(['AA', 'AF', 'ZZ']);
  });
});

describe('fitSip2Answer', () => {
  it('returns the answer itself when every field fits', () => {
    const fitted = fitSip2Answer(checkout);
    expect(fitted.answer).toBe(checkout);
    expect(fitted).toMatchObject({ changed: [], refused: false });
  });

  it('cuts text a person reads, keeping the answer as it was', () => {
    const fitted = fitSip2Answer({
      ...checkout,
      titleIdentifier: long(300, 'T'),
      screenMessage: [long(400, 'M')],
      printLine: ['short', long(256, 'P')],
    });
    expect(fitted.refused).toBe(false);
    expect(fitted.answer).toMatchObject({
      ok: true,
      titleIdentifier: long(255, 'T'),
      screenMessage: [long(255, 'M')],
      printLine: ['short', long(255, 'P')],
    });
    expect(() => encodeSip2Message(fitted.answer)).not.toThrow();
  });

  it('never cuts an identifier: empties it and refuses, with a screen message first', () => {
    const fitted = fitSip2Answer({ ...checkout, itemIdentifier: long(300, '3'), screenMessage: ['Hello'] });
    expect(fitted).toMatchObject({ changed: ['AB'], refused: true });
    expect(fitted.answer).toMatchObject({
      ok: false,
      renewalOk: false,
      desensitize: false,
      itemIdentifier: '',
      patronIdentifier: '21000001',
      screenMessage: [FIELD_TOO_LONG_MESSAGE, 'Hello'],
    });
    const decoded = decodeSip2Message(encodeSip2Message(fitted.answer));
    expect(decoded.ok && decoded.message.type).toBe('checkoutResponse');
  });

  it('says valid patron N for a patron answer whose patron id is too long, and drops the name', () => {
    const fitted = fitSip2Answer({
      type: 'patronStatusResponse',
      patronStatus: {},
      language: 'english',
      transactionDate: DATE,
      institutionId: 'RIVERSIDE',
      patronIdentifier: long(256, '2'),
      personalName: 'Someone Else',
      validPatron: true,
      validPatronPassword: true,
    });
    expect(fitted.answer).toMatchObject({
      patronIdentifier: '',
      personalName: '',
      validPatron: false,
      validPatronPassword: false,
    });
  });

  it('drops long entries of item lists, long optional codes and long extra fields without refusing', () => {
    const fitted = fitSip2Answer({
      type: 'patronInformationResponse',
      patronStatus: {},
      language: 'english',
      transactionDate: DATE,
      holdItemsCount: 0,
      overdueItemsCount: 0,
      chargedItemsCount: 2,
      fineItemsCount: 0,
      recallItemsCount: null,
      unavailableHoldsCount: 0,
      institutionId: 'RIVERSIDE',
      patronIdentifier: '21000001',
      personalName: 'Ann',
      validPatron: true,
      chargedItems: ['31000005', long(300, '3')],
      emailAddress: long(256, 'e'),
      extraFields: [
        { id: 'ZZ', value: long(256) },
        { id: 'ZY', value: 'kept' },
      ],
    });
    expect(fitted.refused).toBe(false);
    expect(fitted.answer).toMatchObject({
      validPatron: true,
      chargedItems: ['31000005'],
      extraFields: [{ id: 'ZY', value: 'kept' }],
    });
    expect('emailAddress' in fitted.answer).toBe(false);
  });

  it('never splits a character made of two UTF-16 units', () => {
    const fitted = fitSip2Answer({ ...checkout, screenMessage: [`${long(254)}😀😀`] });
    const line = (fitted.answer as unknown as { screenMessage: string[] }).screenMessage[0];
    expect(line).toBe(long(254));
  });

  it('counts a | as the six characters of &#124;, as an answer writes it, and cuts before one that would not fit', () => {
    const title = `${long(250)}|x`;
    const fitted = fitSip2Answer({ ...checkout, titleIdentifier: title });
    expect(fitted.changed).toEqual(['AJ']);
    expect((fitted.answer as unknown as { titleIdentifier: string }).titleIdentifier).toBe(long(250));
    expect(() => encodeSip2Message(fitted.answer, { delimiterInValue: 'escape' })).not.toThrow();
    expect(fitSip2Answer({ ...checkout, titleIdentifier: `${long(249)}|` }).changed).toEqual([]);
    expect(oversizedFields({ ...checkout, titleIdentifier: '|'.repeat(43) })).toEqual(['AJ']);
  });

  it('counts a title as the link writes it: € is EUR on an ASCII link, so 255 characters with one are 257', () => {
    const title = `${long(253)} €`;
    const ascii = fitSip2Answer({ ...checkout, titleIdentifier: title }, { charset: 'ascii' });
    expect(ascii.changed).toEqual(['AJ']);
    const written = (ascii.answer as unknown as { titleIdentifier: string }).titleIdentifier;
    expect(written).toBe(`${long(253)} E`);
    expect(() => encodeSip2Message(ascii.answer, { charset: 'ascii' })).not.toThrow();
    // UTF-8 carries the € as it is: 255 characters, nothing cut.
    expect(fitSip2Answer({ ...checkout, titleIdentifier: title }, { charset: 'utf-8' }).changed).toEqual([]);
    // The encoder counts the same way: never more than 255 characters of a value on the wire.
    expect(() => encodeSip2Message({ ...checkout, titleIdentifier: title }, { charset: 'ascii' })).toThrow(
      /257 characters, at most 255/,
    );
  });
});

describe('sip2Refusal', () => {
  it('refuses each request with its own answer type, nothing done, and the request’s ids', () => {
    const request = {
      type: 'renew',
      thirdPartyAllowed: false,
      noBlock: false,
      transactionDate: DATE,
      nbDueDate: null,
      institutionId: 'RIVERSIDE',
      patronIdentifier: '21000001',
      itemIdentifier: '31000005',
    } as unknown as AnySip2Message;
    const refusal = sip2Refusal(request, { transactionDate: DATE, screenMessage: 'No' });
    expect(refusal).toMatchObject({
      type: 'renewResponse',
      ok: false,
      patronIdentifier: '21000001',
      itemIdentifier: '31000005',
      screenMessage: ['No'],
    });
    expect(() => encodeSip2Message(refusal!)).not.toThrow();
    expect(
      sip2Refusal({ type: 'scStatus' } as unknown as AnySip2Message, {
        transactionDate: DATE,
        screenMessage: 'x',
      }),
    ).toBeUndefined();
  });
});

describe('a field too long, in words', () => {
  it('names each field by its SIP2 id and the spec’s name for it; a vendor field by its id alone', () => {
    expect(sip2FieldInWords('AA')).toBe('AA (patron identifier)');
    expect(sip2FieldInWords('AO')).toBe('AO (institution id)');
    expect(sip2FieldInWords('CN')).toBe('CN (login user id)');
    expect(sip2FieldInWords('ZZ')).toBe('ZZ');
    expect(fieldsTooLongInWords(['AB'])).toBe('field AB (item identifier) is longer than 255 characters');
    expect(fieldsTooLongInWords(['AO', 'AA', 'ZZ'])).toBe(
      'fields AO (institution id), AA (patron identifier) and ZZ are longer than 255 characters',
    );
  });
});
