/**
 * The people counter of a FEIG gate, `[0x9F]`.
 *
 * UNVERIFIED ON HARDWARE. Source: the frames janosch12345/gatealert (server/gateProtocol.js,
 * _config.js, 2022) captured from one library's ID ISC.LR2500-B gate; FEIG publishes no
 * description of this sub-command. What the captures show (every CRC below recomputed):
 *
 *   read   request  02 00 12 FF 9F | 00 0D 02 | 02 00 08 01 77 00 EE 02 | 44 31
 *   read   reply    02 00 20 00 9F | 00 | 02 00 18 01 77 00 (8 × 00) IN(4) OUT(4) CRC | CRC
 *   reset  request  02 00 22 FF 9F | 00 0D 02 | 02 00 18 01 78 (17 × 00) B0 9D | 41 38
 *   reset  reply    02 00 10 00 9F | 00 | 02 00 08 01 78 00 26 81 | 6D 1F
 *
 * i.e. `[0x9F]` tunnels a whole inner FEIG frame (its own STX, length and CRC) to a module at
 * COM-ADR 0x01: command 0x77 reads the counters, 0x78 writes them (all zero = reset). The three
 * bytes before the inner request (00 0D 02) and the eight bytes before IN in the reply are
 * carried as captured; IN and OUT are big-endian where gatealert's regex takes them. Every byte
 * of this layout is in PEOPLE_COUNTER_LAYOUT, and nowhere else: capture real frames before
 * trusting it, and correct it there.
 */
import { FeigFrameError } from './errors.js';
import { decodeFeigFrame, encodeFeigFrame, FEIG_BROADCAST_ADDRESS, type FeigFrame } from './frame.js';
import { FEIG_GATE_COMMAND } from './gate-commands.js';

export const PEOPLE_COUNTER_LAYOUT = Object.freeze({
  /** Bytes of the outer request before the inner frame. */
  requestPrefix: Object.freeze([0x00, 0x0d, 0x02]),
  /** COM-ADR of the counting module inside the gate. */
  moduleAddress: 0x01,
  readCommand: 0x77,
  writeCommand: 0x78,
  /** Inner data of a read request. */
  readRequestData: Object.freeze([0x00]),
  /** Inner data of the counters (read reply, write request): status/mode, 8 bytes, IN(4), OUT(4). */
  countersLength: 17,
  inAt: 9,
  outAt: 13,
});

export interface PeopleCounts {
  in: number;
  out: number;
}

export type PeopleCounterRequest = { kind: 'read' } | { kind: 'reset' };

export type PeopleCounterReply = { kind: 'counts'; counts: PeopleCounts } | { kind: 'reset'; status: number };

/** The host's request, `02 00 12 FF 9F 00 0D 02 02 00 08 01 77 00 EE 02 44 31` to read. */
export function peopleCounterRequest(
  request: PeopleCounterRequest,
  address = FEIG_BROADCAST_ADDRESS,
): FeigFrame {
  const L = PEOPLE_COUNTER_LAYOUT;
  const inner =
    request.kind === 'read'
      ? { address: L.moduleAddress, command: L.readCommand, data: Uint8Array.from(L.readRequestData) }
      : { address: L.moduleAddress, command: L.writeCommand, data: new Uint8Array(L.countersLength) };
  return {
    address,
    command: FEIG_GATE_COMMAND.peopleCounter,
    data: Uint8Array.from([...L.requestPrefix, ...encodeFeigFrame(inner)]),
  };
}

/** What the gate makes of a request's DATA (the simulated gate's side). */
export function decodePeopleCounterRequest(data: Uint8Array): PeopleCounterRequest {
  const L = PEOPLE_COUNTER_LAYOUT;
  const prefix = data.subarray(0, L.requestPrefix.length);
  if (prefix.length !== L.requestPrefix.length || prefix.some((b, i) => b !== L.requestPrefix[i]))
    throw new FeigFrameError('feig_bad_argument', 'people counter request without its 00 0D 02 prefix');
  const inner = decodeFeigFrame(data.subarray(L.requestPrefix.length));
  if (inner.address !== L.moduleAddress)
    throw new FeigFrameError('feig_bad_argument', 'people counter request for another module');
  if (inner.command === L.readCommand) return { kind: 'read' };
  if (
    inner.command === L.writeCommand &&
    inner.data.length === L.countersLength &&
    inner.data.every((b) => b === 0)
  )
    return { kind: 'reset' };
  throw new FeigFrameError('feig_bad_argument', 'unsupported people counter request');
}

/** The gate's reply DATA after the outer STATUS (the simulated gate's side). */
export function encodePeopleCounterReply(reply: PeopleCounterReply): Uint8Array {
  const L = PEOPLE_COUNTER_LAYOUT;
  if (reply.kind === 'reset') {
    const inner = {
      address: L.moduleAddress,
      command: L.writeCommand,
      data: Uint8Array.of(reply.status & 0xff),
    };
    return encodeFeigFrame(inner);
  }
  const data = new Uint8Array(L.countersLength);
  const view = new DataView(data.buffer);
  for (const [at, value] of [
    [L.inAt, reply.counts.in],
    [L.outAt, reply.counts.out],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
      throw new FeigFrameError('feig_bad_argument', `a count is 0..4294967295, got ${value}`);
    view.setUint32(at, value);
  }
  return encodeFeigFrame({ address: L.moduleAddress, command: L.readCommand, data });
}

/** Reads a reply's DATA after the outer STATUS. Throws FeigFrameError. */
export function decodePeopleCounterReply(data: Uint8Array): PeopleCounterReply {
  const L = PEOPLE_COUNTER_LAYOUT;
  const inner = decodeFeigFrame(data);
  if (inner.address !== L.moduleAddress)
    throw new FeigFrameError('feig_bad_reply', 'people counter reply from another module');
  if (inner.command === L.writeCommand && inner.data.length >= 1)
    return { kind: 'reset', status: inner.data[0]! };
  if (inner.command === L.readCommand && inner.data.length === L.countersLength) {
    const view = new DataView(inner.data.buffer, inner.data.byteOffset, inner.data.byteLength);
    return { kind: 'counts', counts: { in: view.getUint32(L.inAt), out: view.getUint32(L.outAt) } };
  }
  throw new FeigFrameError('feig_bad_reply', 'unexpected people counter reply');
}
