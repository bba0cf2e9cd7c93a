import { describe, expect, it } from 'vitest';
import {
  billDenomination,
  billId,
  coinDenomination,
  coinId,
  decodeAscii,
  decodeInhibitMask,
  decodeMasterInhibit,
  decodeRouteReply,
  decodeScalingFactor,
  decodeSelfCheck,
  decodeSerialNumber,
  encodeInhibitMask,
  encodeMasterInhibit,
  encodeScalingFactor,
  encodeSerialNumber,
  valueCode,
} from '../../../src/protocols/cctalk/index.js';

describe('coin and bill values', () => {
  it('reads coin ids in minor units, with multipliers', () => {
    expect(coinDenomination('EU200A')).toEqual({
      id: 'EU200A',
      currency: 'EUR',
      valueMinor: 200,
      issue: 'A',
    });
    expect(coinDenomination('US025A')).toMatchObject({ currency: 'USD', valueMinor: 25 });
    expect(coinDenomination('GB001B')).toMatchObject({ currency: 'GBP', valueMinor: 1, issue: 'B' });
    expect(valueCode('5K0')).toBe(5000);
    expect(valueCode('2K5')).toBe(2500);
    expect(valueCode('1M5')).toBe(1_500_000);
  });

  it('takes no empty channel, unknown country, fraction or zero', () => {
    for (const id of ['......', 'XX100A', 'EU5m0A', 'EU.50A', 'EU000A', 'EU20A', 'eu200a'])
      expect(coinDenomination(id)).toBeUndefined();
  });

  it('reads bill ids with the country scaling factor', () => {
    expect(billDenomination('EU0005A', { factor: 100, decimals: 2 })).toMatchObject({
      currency: 'EUR',
      valueMinor: 500,
    });
    expect(billDenomination('EU0050A', { factor: 1, decimals: 0 })).toMatchObject({ valueMinor: 5000 });
    expect(billDenomination('US0020A', { factor: 100, decimals: 2 })).toMatchObject({
      currency: 'USD',
      valueMinor: 2000,
    });
    expect(billDenomination('.......', { factor: 100, decimals: 2 })).toBeUndefined();
    expect(billDenomination('EU0005A', { factor: 0, decimals: 2 })).toBeUndefined();
  });

  it('makes the ids a simulator programs', () => {
    expect(coinId('EU', 200)).toBe('EU200A');
    expect(coinId('US', 5)).toBe('US005A');
    expect(coinId('EU', 5000)).toBe('EU5K0A');
    expect(coinDenomination(coinId('EU', 2500))?.valueMinor).toBe(2500);
    expect(billId('EU', 20)).toBe('EU0020A');
  });
});

describe('reply data', () => {
  it('round-trips the small replies', () => {
    expect(decodeSerialNumber(encodeSerialNumber(0x123456))).toBe(0x123456);
    expect([...encodeSerialNumber(0x123456)]).toEqual([0x56, 0x34, 0x12]);
    expect(decodeInhibitMask(encodeInhibitMask(0b1000_0000_0000_0101))).toBe(0b1000_0000_0000_0101);
    expect([...encodeInhibitMask(0x0105)]).toEqual([0x05, 0x01]);
    expect(decodeMasterInhibit(encodeMasterInhibit(true))).toBe(true);
    expect(decodeMasterInhibit(Uint8Array.of(0))).toBe(false);
    expect(decodeScalingFactor(encodeScalingFactor({ factor: 300, decimals: 2 }))).toEqual({
      factor: 300,
      decimals: 2,
    });
    expect(decodeSelfCheck(Uint8Array.of(2, 1))).toEqual({ fault: 2, extra: 1 });
    expect(decodeRouteReply(new Uint8Array())).toBe('routed');
    expect(decodeRouteReply(Uint8Array.of(254))).toBe(254);
    expect(decodeAscii(Uint8Array.from([0x43, 0x4d, 0x46]))).toBe('CMF');
  });

  it('refuses data of the wrong shape', () => {
    expect(() => decodeSerialNumber(new Uint8Array(2))).toThrow(/serial number/);
    expect(() => decodeInhibitMask(new Uint8Array(1))).toThrow(/inhibit/);
    expect(() => decodeSelfCheck(new Uint8Array())).toThrow(/self-check/);
    expect(() => decodeAscii(Uint8Array.of(0x41, 0x00))).toThrow(/ASCII/);
    expect(() => decodeRouteReply(new Uint8Array(2))).toThrow(/route/);
  });
});
