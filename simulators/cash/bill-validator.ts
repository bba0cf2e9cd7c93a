/**
 * A simulated ccTalk bill validator with escrow: bill ids (157) and the country
 * scaling factor (156), the buffered bill events (159), route bill (154) and
 * the operating mode (153). With escrow on, a valid note waits in escrow (a
 * pending credit) until the host stacks it (credit) or returns it, or the
 * escrow times out and hands it back; with escrow off it is stacked at once.
 * The stacker (cash box) can be removed, full, jammed.
 */
import {
  BILL_EVENT,
  BILL_MODE,
  billId,
  type CctalkFrame,
  encodeAscii,
  encodeScalingFactor,
  FAULT,
  HEADER,
  ROUTE,
  ROUTE_ERROR,
} from '../../src/protocols/cctalk/index.js';
import type { CurrencyTable } from './denominations.js';
import { ACK, CctalkDeviceModel, type DeviceAnswer, NAK } from './device-model.js';

const EVENT = { invalidBill: 2, inhibitedBill: 4, jammedInTransport: 6, tamper: 9 } as const;

export type NoteInsertion =
  | { accepted: true; billType: number; valueMinor: number; escrow: boolean }
  | { accepted: false; reason: 'inhibited' | 'unknown_note' | 'jammed' | 'stacker' | 'escrow_busy' };

export type StackerState = 'in' | 'removed' | 'full';

export class BillValidatorModel extends CctalkDeviceModel {
  mode: number = BILL_MODE.stacker | BILL_MODE.escrow;
  stacker: StackerState = 'in';
  jammed = false;
  /** The note in escrow: its type and value. */
  escrow: { billType: number; valueMinor: number } | undefined;
  /** Notes routed or timed out back to the patron. */
  returned = 0;

  constructor(
    address: number,
    private readonly table: CurrencyTable,
    serial = 0x00b111,
  ) {
    super(
      address,
      {
        manufacturer: 'CRL',
        category: 'Bill Validator',
        product: 'SIM-NOTE',
        serial,
        software: 'sim-1.0',
      },
      table.currency,
    );
  }

  private noteValue(billType: number): number | undefined {
    const units = this.table.notes[billType - 1];
    return units === undefined ? undefined : units * this.table.scaling.factor;
  }

  /** A note is fed in. */
  insert(valueMinor: number): NoteInsertion {
    if (this.jammed) return { accepted: false, reason: 'jammed' };
    if (this.escrow) return { accepted: false, reason: 'escrow_busy' };
    const billType = this.table.notes.findIndex((_, i) => this.noteValue(i + 1) === valueMinor) + 1;
    if (billType === 0) {
      this.record({ a: 0, b: EVENT.invalidBill });
      return { accepted: false, reason: 'unknown_note' };
    }
    if (!this.channelEnabled(billType)) {
      this.record({ a: 0, b: EVENT.inhibitedBill });
      return { accepted: false, reason: 'inhibited' };
    }
    if (this.stacker !== 'in') {
      this.record({ a: 0, b: EVENT.invalidBill });
      return { accepted: false, reason: 'stacker' };
    }
    if ((this.mode & BILL_MODE.escrow) !== 0) {
      this.escrow = { billType, valueMinor };
      this.record({ a: billType, b: 1 });
      return { accepted: true, billType, valueMinor, escrow: true };
    }
    this.stack(billType, valueMinor);
    return { accepted: true, billType, valueMinor, escrow: false };
  }

  /** The escrow timed out: the note goes back to the patron. */
  escrowTimeout(): boolean {
    if (!this.escrow) return false;
    this.returnEscrow();
    return true;
  }

  setStacker(state: StackerState): void {
    if (state === this.stacker) return;
    if (state === 'removed') this.record({ a: 0, b: BILL_EVENT.stackerRemoved });
    else if (state === 'full') this.record({ a: 0, b: BILL_EVENT.stackerFull });
    else
      this.record({
        a: 0,
        b: this.stacker === 'removed' ? BILL_EVENT.stackerInserted : BILL_EVENT.stackerOk,
      });
    if (state === 'in' && this.stacker === 'removed') {
      this.cashboxCount = 0;
      this.cashboxValueMinor = 0;
    }
    this.stacker = state;
    this.fault = this.faultNow();
  }

  setJammed(jammed: boolean): void {
    if (jammed && !this.jammed) this.record({ a: 0, b: EVENT.jammedInTransport });
    this.jammed = jammed;
    this.fault = this.faultNow();
  }

  tamper(): void {
    this.record({ a: 0, b: EVENT.tamper });
  }

  override reset(): void {
    if (this.escrow) this.returned++;
    this.escrow = undefined;
    super.reset();
  }

  private faultNow(): number {
    if (this.jammed) return FAULT.billJammed;
    if (this.stacker === 'removed') return FAULT.stackerMissing;
    if (this.stacker === 'full') return FAULT.stackerFull;
    return FAULT.none;
  }

  private stack(billType: number, valueMinor: number): void {
    this.record({ a: billType, b: 0 });
    this.cashboxCount++;
    this.cashboxValueMinor += valueMinor;
  }

  private returnEscrow(): void {
    this.escrow = undefined;
    this.returned++;
    this.record({ a: 0, b: BILL_EVENT.returnedFromEscrow });
  }

  protected answerOwn(request: CctalkFrame): DeviceAnswer {
    switch (request.header) {
      case HEADER.readBufferedBillEvents:
        return this.eventBuffer();
      case HEADER.requestBillId: {
        const type = request.data[0];
        if (request.data.length !== 1 || type === undefined || type < 1 || type > 16) return NAK;
        const units = this.table.notes[type - 1];
        const id = units === undefined ? '.......' : billId(this.table.country, units);
        return { header: HEADER.ack, data: encodeAscii(id) };
      }
      case HEADER.requestCountryScalingFactor:
        return { header: HEADER.ack, data: encodeScalingFactor(this.table.scaling) };
      case HEADER.modifyBillOperatingMode:
        if (request.data.length !== 1) return NAK;
        this.mode = request.data[0]! & (BILL_MODE.stacker | BILL_MODE.escrow);
        return ACK;
      case HEADER.requestBillOperatingMode:
        return { header: HEADER.ack, data: Uint8Array.of(this.mode) };
      case HEADER.routeBill:
        return this.route(request.data);
      default:
        return NAK;
    }
  }

  private route(data: Uint8Array): DeviceAnswer {
    if (data.length !== 1) return NAK;
    const code = data[0]!;
    if (code === ROUTE.extendEscrowTimeout) return this.escrow ? ACK : escrowEmpty();
    if (code !== ROUTE.stack && code !== ROUTE.returnBill) return NAK;
    const note = this.escrow;
    if (!note) return escrowEmpty();
    this.escrow = undefined;
    if (code === ROUTE.stack) {
      if (this.stacker !== 'in') {
        this.escrow = note;
        return { header: HEADER.ack, data: Uint8Array.of(ROUTE_ERROR.failedToRoute) };
      }
      this.stack(note.billType, note.valueMinor);
    } else {
      this.returned++;
      this.record({ a: 0, b: BILL_EVENT.returnedFromEscrow });
    }
    return ACK;
  }
}

function escrowEmpty(): DeviceAnswer {
  return { header: HEADER.ack, data: Uint8Array.of(ROUTE_ERROR.escrowEmpty) };
}
