/**
 * What every simulated ccTalk device shares (STYLE 7: the codec's own tables):
 * its address and identity, the inhibit masks, the event buffer with its
 * counter (0 after reset, then 1…255 and 1 again; the last five kept, newest
 * first), the fault code a self-check answers, and the answers to the common
 * headers. A coin acceptor and a bill validator add their own.
 */
import {
  advanceCounter,
  type CctalkFrame,
  EVENT_BUFFER_SIZE,
  type EventResult,
  encodeAscii,
  encodeEventBuffer,
  encodeInhibitMask,
  encodeMasterInhibit,
  encodeSelfCheck,
  encodeSerialNumber,
  HEADER,
} from '../../src/protocols/cctalk/index.js';

export interface DeviceIdentity {
  manufacturer: string;
  category: string;
  product: string;
  serial: number;
  software: string;
}

/** A reply's header and data; undefined = no reply at all. */
export type DeviceAnswer = { header: number; data?: Uint8Array } | undefined;

export const ACK: DeviceAnswer = { header: HEADER.ack };
export const NAK: DeviceAnswer = { header: HEADER.nak };

export interface DeviceSnapshot {
  address: number;
  category: string;
  counter: number;
  /** Events not yet in an answer the host received (the buffer holds five). */
  unread: number;
  masterInhibit: 'accepting' | 'inhibited';
  inhibitMask: number;
  fault: number;
  cashbox: { count: number; valueMinor: number; currency: string };
}

export abstract class CctalkDeviceModel {
  /** The last five events, newest first. */
  protected results: EventResult[] = [];
  counter = 0;
  /** The counter of the last event buffer answered (for the test's pacing: unread events). */
  protected answeredCounter = 0;
  inhibitMask = 0;
  accepting = false;
  /** What Perform self-check answers; 0 = no fault. */
  fault = 0;
  cashboxCount = 0;
  cashboxValueMinor = 0;

  constructor(
    readonly address: number,
    readonly identity: DeviceIdentity,
    readonly currency: string,
  ) {}

  /** The answer to a request addressed to this device. */
  answer(request: CctalkFrame): DeviceAnswer {
    switch (request.header) {
      case HEADER.simplePoll:
        return ACK;
      case HEADER.resetDevice:
        this.reset();
        return ACK;
      case HEADER.requestManufacturerId:
        return ascii(this.identity.manufacturer);
      case HEADER.requestEquipmentCategoryId:
        return ascii(this.identity.category);
      case HEADER.requestProductCode:
        return ascii(this.identity.product);
      case HEADER.requestSoftwareRevision:
        return ascii(this.identity.software);
      case HEADER.requestSerialNumber:
        return { header: HEADER.ack, data: encodeSerialNumber(this.identity.serial) };
      case HEADER.performSelfCheck:
        return { header: HEADER.ack, data: encodeSelfCheck({ fault: this.fault }) };
      case HEADER.modifyInhibitStatus:
        if (request.data.length !== 2) return NAK;
        this.inhibitMask = request.data[0]! | (request.data[1]! << 8);
        return ACK;
      case HEADER.requestInhibitStatus:
        return { header: HEADER.ack, data: encodeInhibitMask(this.inhibitMask) };
      case HEADER.modifyMasterInhibitStatus:
        if (request.data.length !== 1) return NAK;
        this.accepting = (request.data[0]! & 1) === 1;
        return ACK;
      case HEADER.requestMasterInhibitStatus:
        return { header: HEADER.ack, data: encodeMasterInhibit(this.accepting) };
      default:
        return this.answerOwn(request);
    }
  }

  /** Headers only this kind of device answers; NAK for one it does not know. */
  protected abstract answerOwn(request: CctalkFrame): DeviceAnswer;

  /** The event buffer reply, and the counter it carries noted as read. */
  protected eventBuffer(): DeviceAnswer {
    const results = [...this.results];
    while (results.length < EVENT_BUFFER_SIZE) results.push({ a: 0, b: 0 });
    this.answeredCounter = this.counter;
    return { header: HEADER.ack, data: encodeEventBuffer({ counter: this.counter, results }) };
  }

  /**
   * A device that breaks the rule: its counter goes 255 → 0 (as after a reset) instead of 255 → 1,
   * with the event in its buffer. Off by default.
   */
  wrapsToZero = false;

  /** One more event in the buffer. */
  protected record(result: EventResult): void {
    this.counter = this.wrapsToZero && this.counter === 255 ? 0 : advanceCounter(this.counter);
    this.results.unshift(result);
    this.results.length = Math.min(this.results.length, EVENT_BUFFER_SIZE);
  }

  /** Any result pair, as the device would buffer it (an error code this simulator has no reason for). */
  injectEvent(result: EventResult): void {
    this.record(result);
  }

  /** The counter jumps ahead by `n` with the buffer as it is: a counter that misbehaves. */
  jumpCounter(n: number): void {
    this.counter = advanceCounter(this.counter, n);
  }

  /**
   * Another device of this kind fitted at the address (a spare): its own serial number, powered
   * up, with the events it buffered before the host polled it (a technician's test coins).
   */
  fitSpare(serial: number, events: readonly EventResult[] = []): void {
    this.identity.serial = serial;
    this.reset();
    for (const result of events) this.record(result);
  }

  /** Power-up state: counter 0, empty buffer, everything inhibited. */
  reset(): void {
    this.counter = 0;
    this.answeredCounter = 0;
    this.results = [];
    this.inhibitMask = 0;
    this.accepting = false;
  }

  /** Events the host has not had in an answer yet (more than five: some are lost). */
  unread(): number {
    if (this.counter === this.answeredCounter) return 0;
    if (this.answeredCounter === 0) return this.counter;
    return (this.counter - this.answeredCounter + 255) % 255;
  }

  protected channelEnabled(channel: number): boolean {
    return this.accepting && (this.inhibitMask & (1 << (channel - 1))) !== 0;
  }

  snapshot(): DeviceSnapshot {
    return {
      address: this.address,
      category: this.identity.category,
      counter: this.counter,
      unread: this.unread(),
      masterInhibit: this.accepting ? 'accepting' : 'inhibited',
      inhibitMask: this.inhibitMask,
      fault: this.fault,
      cashbox: { count: this.cashboxCount, valueMinor: this.cashboxValueMinor, currency: this.currency },
    };
  }
}

function ascii(text: string): DeviceAnswer {
  return { header: HEADER.ack, data: encodeAscii(text) };
}
