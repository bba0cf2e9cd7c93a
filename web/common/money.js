/**
 * Money on the pages (the kiosk, the release station, the print desk): Carrel counts integer minor
 * units (750), the library system and staff write decimals ("7.50", "7,50", "€7.50"); the number of
 * minor digits is the currency's (EUR 2, JPY 0, KWD 3), read as Carrel reads it
 * (src/gateway/circulation/money.ts).
 */

/** Decimal places of the currency's minor unit, as the browser's Intl knows it; 2 when it does not. */
export function exponentOf(currency) {
  if (!currency) return 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** Minor units as the amount alone: 1250 EUR → "12.50", 500 JPY → "500". */
export function amount(minor, currency) {
  const exponent = exponentOf(currency);
  return (minor / 10 ** exponent).toFixed(exponent);
}

/** Minor units with the currency: 1250 EUR → "12.50 EUR", 500 JPY → "500 JPY". */
export function money(minor, currency) {
  return `${amount(minor, currency)} ${currency ?? ''}`.trim();
}

/** "7.50" or "7,50" → 750 (EUR), "500" → 500 (JPY); undefined for what is not an amount in the currency. */
export function minorOf(amount, currency) {
  const exponent = exponentOf(currency);
  const match = /^\s*[$€£¥]?\s*(\d{1,12})(?:[.,](\d+))?\s*$/.exec(amount ?? '');
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return undefined;
  return Number(match[1]) * 10 ** exponent + (fraction === '' ? 0 : Number(fraction.padEnd(exponent, '0')));
}
