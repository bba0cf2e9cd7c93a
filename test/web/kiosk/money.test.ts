import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import { minorOf as carrelMinorOf, currencyExponent } from '../../../src/gateway/circulation/money.js';

/** The kiosk page's money, imported as the browser gets it. */
const { amount, minorOf, money } = (await import(
  pathToFileURL(join(packageRoot(), 'web', 'common', 'money.js')).href
)) as {
  amount(minor: number, currency: string): string;
  minorOf(amount: string, currency: string | null): number | undefined;
  money(minor: number, currency: string): string;
};

describe('the kiosk page’s money', () => {
  it('writes minor units with the currency’s own decimals (ISO 4217): EUR 2, JPY 0, KWD 3', () => {
    expect(money(1250, 'EUR')).toBe('12.50 EUR');
    expect(money(500, 'JPY')).toBe('500 JPY');
    expect(money(1250, 'KWD')).toBe('1.250 KWD');
    expect(amount(5, 'EUR')).toBe('0.05');
  });

  it('reads the library system’s fee amounts as Carrel does, a decimal comma included', () => {
    const cases: Array<[string, string]> = [
      ['7.50', 'EUR'],
      ['7,50', 'EUR'],
      ['€7.5', 'EUR'],
      ['7', 'EUR'],
      ['500', 'JPY'],
      ['1.250', 'KWD'],
      ['7.505', 'EUR'],
      ['5.5', 'JPY'],
      ['seven', 'EUR'],
    ];
    for (const [text, currency] of cases)
      expect(minorOf(text, currency), `${text} ${currency}`).toBe(
        carrelMinorOf(text, currencyExponent(currency)),
      );
    expect(minorOf('7,50', 'EUR')).toBe(750);
    expect(minorOf('500', 'JPY')).toBe(500);
  });
});
