/**
 * A simulated ccTalk coin acceptor: coins by channel with their ids (184), the
 * buffered credits and error codes (229). A coin of a channel that is enabled
 * (master inhibit off, its inhibit bit set) goes into the cash box and is a
 * credit; any other is handed back with an error code. A jam blocks the credit
 * sensor until cleared; a string on a coin is a fraud code.
 */
import { type CctalkFrame, coinId, encodeAscii, FAULT, HEADER } from '../../src/protocols/cctalk/index.js';
import type { CurrencyTable } from './denominations.js';
import { CctalkDeviceModel, type DeviceAnswer, NAK } from './device-model.js';

/** Coin acceptor error codes the simulator raises (ccTalk part 3). */
const ERROR = { rejectCoin: 1, inhibitedCoin: 2, creditSensorBlocked: 14, coinOnString: 20 } as const;

export type CoinInsertion =
  | { accepted: true; channel: number; valueMinor: number }
  | { accepted: false; reason: 'inhibited' | 'unknown_coin' | 'jammed' };

export class CoinAcceptorModel extends CctalkDeviceModel {
  jammed = false;

  constructor(
    address: number,
    private readonly table: CurrencyTable,
    serial = 0x00c01a,
  ) {
    super(
      address,
      {
        manufacturer: 'CRL',
        category: 'Coin Acceptor',
        product: 'SIM-COIN',
        serial,
        software: 'sim-1.0',
      },
      table.currency,
    );
  }

  /** A coin is dropped in. */
  insert(valueMinor: number): CoinInsertion {
    if (this.jammed) return { accepted: false, reason: 'jammed' };
    const channel = this.table.coins.indexOf(valueMinor) + 1;
    if (channel === 0) {
      this.record({ a: 0, b: ERROR.rejectCoin });
      return { accepted: false, reason: 'unknown_coin' };
    }
    if (!this.channelEnabled(channel)) {
      this.record({ a: 0, b: ERROR.inhibitedCoin });
      return { accepted: false, reason: 'inhibited' };
    }
    this.record({ a: channel, b: 1 });
    this.cashboxCount++;
    this.cashboxValueMinor += valueMinor;
    return { accepted: true, channel, valueMinor };
  }

  /** A coin jams on the credit sensor (until cleared): an error code, then a self-check fault. */
  setJammed(jammed: boolean): void {
    if (jammed && !this.jammed) this.record({ a: 0, b: ERROR.creditSensorBlocked });
    this.jammed = jammed;
    this.fault = jammed ? FAULT.creditSensor : 0;
  }

  /** Someone pulls a coin back on a string. */
  tamper(): void {
    this.record({ a: 0, b: ERROR.coinOnString });
  }

  /** Staff empty the coin box. */
  emptyCashbox(): void {
    this.cashboxCount = 0;
    this.cashboxValueMinor = 0;
  }

  protected answerOwn(request: CctalkFrame): DeviceAnswer {
    switch (request.header) {
      case HEADER.readBufferedCreditOrErrorCodes:
        return this.eventBuffer();
      case HEADER.requestCoinId: {
        const channel = request.data[0];
        if (request.data.length !== 1 || channel === undefined || channel < 1 || channel > 16) return NAK;
        const value = this.table.coins[channel - 1];
        const id = value === undefined ? '......' : coinId(this.table.country, value);
        return { header: HEADER.ack, data: encodeAscii(id) };
      }
      default:
        return NAK;
    }
  }
}
