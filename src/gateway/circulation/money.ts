/**
 * Money between SIP2 and Carrel: SIP2 writes amounts as decimals (`7.50`),
 * Carrel counts integer minor units (750), never floats. The number of minor
 * digits is the currency's (ISO 4217): 2 for EUR and USD, 0 for JPY.
 */
const EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, HUF: 2, KWD: 3, BHD: 3 };

export function currencyExponent(currency: string | null | undefined): number {
  if (!currency) return 2;
  return EXPONENTS[currency] ?? 2;
}

/** `7.50` → 750 (exponent 2); `7` → 700; `$7.5` → 750. Undefined for anything else. */
export function minorOf(amount: string | undefined, exponent = 2): number | undefined {
  if (amount === undefined) return undefined;
  const match = /^\s*[$€£¥]?\s*(\d{1,12})(?:[.,](\d+))?\s*$/.exec(amount);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return undefined;
  return Number(match[1]) * 10 ** exponent + (fraction === '' ? 0 : Number(fraction.padEnd(exponent, '0')));
}

/** 750 → `7.50` (exponent 2); 7 → `0.07`; 700 → `700` (exponent 0). */
export function decimalOf(minor: number, exponent = 2): string {
  if (!Number.isSafeInteger(minor) || minor < 0)
    throw new RangeError(`not an amount in minor units: ${minor}`);
  if (exponent === 0) return String(minor);
  const text = String(minor).padStart(exponent + 1, '0');
  return `${text.slice(0, -exponent)}.${text.slice(-exponent)}`;
}

/**
 * An amount as staff and API clients read it in a message, with the currency's own decimals:
 * 750 EUR → `7.50 EUR`, 500 JPY → `500 JPY`, -120 EUR → `-1.20 EUR`.
 */
export function moneyText(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) return `${minor} ${currency}`;
  const text = decimalOf(Math.abs(minor), currencyExponent(currency));
  return `${minor < 0 ? '-' : ''}${text} ${currency}`;
}
