/**
 * What a ccTalk cash device says about itself at connect: its category (it
 * must be the kind configured), manufacturer, product, serial and software,
 * and what each of its 16 channels is worth (coin ids, or bill ids with the
 * country scaling factor). A channel with no coin programmed, an unknown
 * country or a value Carrel cannot take is left out: it is never enabled.
 */
import {
  billDenomination,
  coinDenomination,
  decodeAscii,
  decodeScalingFactor,
  decodeSerialNumber,
  encodeAscii,
  HEADER,
  type ScalingFactor,
} from '../../protocols/cctalk/index.js';
import type { CctalkLink } from './cctalk-link.js';
import { CashDeviceError } from './errors.js';
import type { CashChannel, CashDeviceKind, CashIdentity } from './types.js';

const CATEGORY: Record<CashDeviceKind, string> = {
  'coin-acceptor': 'Coin Acceptor',
  'bill-validator': 'Bill Validator',
};
const CHANNELS = 16;

export async function identify(link: CctalkLink, kind: CashDeviceKind): Promise<CashIdentity> {
  const ascii = async (header: number, what: string) => decodeAscii(await link.request(header), what);
  const category = await ascii(HEADER.requestEquipmentCategoryId, 'equipment category');
  if (category.trim().toLowerCase() !== CATEGORY[kind].toLowerCase())
    throw new CashDeviceError(
      'cash_wrong_device',
      `the device at address ${link.address} is a "${category}", not a ${CATEGORY[kind].toLowerCase()}`,
    );
  return {
    category,
    manufacturer: await ascii(HEADER.requestManufacturerId, 'manufacturer'),
    product: await ascii(HEADER.requestProductCode, 'product code'),
    serial: decodeSerialNumber(await link.request(HEADER.requestSerialNumber)),
    software: await ascii(HEADER.requestSoftwareRevision, 'software revision'),
  };
}

export async function readChannels(
  link: CctalkLink,
  kind: CashDeviceKind,
): Promise<Map<number, CashChannel>> {
  const channels = new Map<number, CashChannel>();
  const scalings = new Map<string, ScalingFactor>();
  for (let channel = 1; channel <= CHANNELS; channel++) {
    if (kind === 'coin-acceptor') {
      const id = decodeAscii(await link.request(HEADER.requestCoinId, Uint8Array.of(channel)), 'coin id');
      const coin = coinDenomination(id);
      if (coin) channels.set(channel, { channel, id, currency: coin.currency, valueMinor: coin.valueMinor });
      continue;
    }
    const id = decodeAscii(await link.request(HEADER.requestBillId, Uint8Array.of(channel)), 'bill id');
    const country = /^[A-Z]{2}/.exec(id)?.[0];
    if (!country) continue;
    let scaling = scalings.get(country);
    if (!scaling) {
      scaling = decodeScalingFactor(
        await link.request(HEADER.requestCountryScalingFactor, encodeAscii(country)),
      );
      scalings.set(country, scaling);
    }
    const bill = billDenomination(id, scaling);
    if (bill) channels.set(channel, { channel, id, currency: bill.currency, valueMinor: bill.valueMinor });
  }
  return channels;
}
