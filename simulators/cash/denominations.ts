/**
 * What the simulated devices take: the euro and US dollar coins and notes, one
 * channel (coin position or bill type) each, as a kiosk's acceptor would be
 * programmed. Values are integer minor units (cents).
 */
export type SimulatedCurrency = 'EUR' | 'USD';

export interface CurrencyTable {
  currency: SimulatedCurrency;
  /** ccTalk country code. */
  country: string;
  /** Coin values by channel (index 0 = channel 1). */
  coins: number[];
  /** Note values in whole currency units by bill type (index 0 = type 1). */
  notes: number[];
  /** Request country scaling factor (156): note units × factor = minor units at `decimals`. */
  scaling: { factor: number; decimals: number };
}

export const CURRENCY_TABLES: Readonly<Record<SimulatedCurrency, CurrencyTable>> = {
  EUR: {
    currency: 'EUR',
    country: 'EU',
    coins: [5, 10, 20, 50, 100, 200],
    notes: [5, 10, 20, 50],
    scaling: { factor: 100, decimals: 2 },
  },
  USD: {
    currency: 'USD',
    country: 'US',
    coins: [5, 10, 25, 100],
    notes: [1, 5, 10, 20],
    scaling: { factor: 100, decimals: 2 },
  },
};
