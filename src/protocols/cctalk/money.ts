/**
 * What a coin or a bill is worth, from its ccTalk identification:
 *
 * - a coin id (Request coin id, 184) is six characters `CCVVVI`: country, value
 *   in the currency's smallest unit, issue — `EU200A` is a 2 euro coin, `US025A`
 *   a quarter. The value may carry a multiplier: `5K0` is 5000, `2K5` 2500;
 *   `m` (thousandths) and `.` give fractions of the smallest unit, which Carrel
 *   does not take. `......` is a channel with no coin programmed.
 * - a bill id (Request bill id, 157) is seven, `CCVVVVI`: `EU0005A` is a 5 euro
 *   note, its value times the country scaling factor (156) in units of
 *   10^-decimals of the currency. `.......` is no bill programmed.
 *
 * Country codes are ISO 3166 letters (EU for the euro); the currency is ISO 4217.
 * Values are integer minor units (cents), never floats.
 */
import type { ScalingFactor } from './replies.js';

/** ccTalk country code → ISO 4217 currency and its minor-unit exponent. */
const CURRENCIES: Record<string, { currency: string; exponent: number }> = {
  EU: { currency: 'EUR', exponent: 2 },
  US: { currency: 'USD', exponent: 2 },
  GB: { currency: 'GBP', exponent: 2 },
  CH: { currency: 'CHF', exponent: 2 },
  SE: { currency: 'SEK', exponent: 2 },
  NO: { currency: 'NOK', exponent: 2 },
  DK: { currency: 'DKK', exponent: 2 },
  CA: { currency: 'CAD', exponent: 2 },
  AU: { currency: 'AUD', exponent: 2 },
  NZ: { currency: 'NZD', exponent: 2 },
  PL: { currency: 'PLN', exponent: 2 },
  CZ: { currency: 'CZK', exponent: 2 },
  HU: { currency: 'HUF', exponent: 2 },
  JP: { currency: 'JPY', exponent: 0 },
};

export interface Denomination {
  /** The id as the device sent it. */
  id: string;
  /** ISO 4217. */
  currency: string;
  /** Integer minor units (cents). */
  valueMinor: number;
  issue: string;
}

export function currencyOfCountry(country: string): { currency: string; exponent: number } | undefined {
  return CURRENCIES[country];
}

/** The ccTalk country code of a currency (the simulator's tables). */
export function countryOfCurrency(currency: string): string | undefined {
  return Object.entries(CURRENCIES).find(([, entry]) => entry.currency === currency)?.[0];
}

/** `200` → 200, `5K0` → 5000, `1M5` → 1500000; undefined for fractions and anything else. */
export function valueCode(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const multiplied = /^(\d*)([KMG])(\d*)$/.exec(text);
  if (!multiplied) return undefined;
  const power = { K: 3, M: 6, G: 9 }[multiplied[2] as 'K' | 'M' | 'G'];
  const whole = multiplied[1] === '' ? 0 : Number(multiplied[1]);
  const fraction = multiplied[3] ?? '';
  if (fraction.length > power) return undefined;
  return whole * 10 ** power + (fraction === '' ? 0 : Number(fraction) * 10 ** (power - fraction.length));
}

/** A coin id; undefined for an empty channel, an unknown country or a value Carrel cannot take. */
export function coinDenomination(id: string): Denomination | undefined {
  const match = /^([A-Z]{2})([0-9A-Za-z.]{3})([A-Z0-9])$/.exec(id);
  if (!match) return undefined;
  const money = currencyOfCountry(match[1]!);
  const value = valueCode(match[2]!);
  if (!money || value === undefined || value <= 0) return undefined;
  return { id, currency: money.currency, valueMinor: value, issue: match[3]! };
}

/** A bill id with its validator's scaling factor for the country; undefined as for coins. */
export function billDenomination(id: string, scaling: ScalingFactor): Denomination | undefined {
  const match = /^([A-Z]{2})(\d{4})([A-Z0-9])$/.exec(id);
  if (!match || scaling.factor === 0) return undefined;
  const money = currencyOfCountry(match[1]!);
  if (!money) return undefined;
  const units = Number(match[2]) * scaling.factor;
  const shift = money.exponent - scaling.decimals;
  const valueMinor = shift >= 0 ? units * 10 ** shift : units / 10 ** -shift;
  if (!Number.isInteger(valueMinor) || valueMinor <= 0) return undefined;
  return { id, currency: money.currency, valueMinor, issue: match[3]! };
}

/** The coin id of a value, as a simulator programs it: `EU` and 200 → `EU200A`. */
export function coinId(country: string, valueMinor: number, issue = 'A'): string {
  const text =
    valueMinor < 1000
      ? String(valueMinor).padStart(3, '0')
      : `${Math.floor(valueMinor / 1000)}K${String(valueMinor % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`.padEnd(3, '0');
  if (text.length !== 3 || valueCode(text) !== valueMinor)
    throw new RangeError(`${valueMinor} has no three-character ccTalk value code`);
  return `${country}${text}${issue}`;
}

/** The bill id of a note worth `units` (before scaling): `EU` and 5 → `EU0005A`. */
export function billId(country: string, units: number, issue = 'A'): string {
  return `${country}${String(units).padStart(4, '0')}${issue}`;
}
