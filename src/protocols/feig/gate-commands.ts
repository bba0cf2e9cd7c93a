/**
 * The FEIG commands a security gate needs besides notifications: the keep-alive a reader in
 * notification mode sends `[0x6E]`, the host's acknowledgement `[0x32] Clear Data Buffer`, CPU
 * reset `[0x63]`, and configuration read `[0x8A]` / write `[0x8B]` (layout: FEIG ID ISC.LRU3000
 * manual §8.3/§8.4 — DEVICE, BANK, MODE, CFG-ADR(2), CFG-N; reply CFG-N, BLOCK-SIZE, then
 * CFG-ADR(2) + data per block). The gate alarm lives in configuration block 9: byte 0 the alarm
 * loops fitted (0x0F two loops, 0x03 one), byte 1 the loops switched on (same mask = on, 0x00 =
 * off), as janosch12345/gatealert drives an ID ISC.LR2500-B gate; DEVICE 0x02 (RF controller),
 * BANK 0x01 and MODE 0x01 are the values it sends.
 */
import { FeigFrameError } from './errors.js';
import { FEIG_BROADCAST_ADDRESS, type FeigFrame } from './frame.js';

export const FEIG_GATE_COMMAND = {
  clearBuffer: 0x32,
  cpuReset: 0x63,
  keepAlive: 0x6e,
  readConfig: 0x8a,
  writeConfig: 0x8b,
  peopleCounter: 0x9f,
} as const;

/** Keep-alive `[0x6E]`: STATUS and two bytes of reader diagnostic flags. */
export interface FeigKeepAlive {
  status: number;
  diagnostic: number;
}

/** `02 00 0A 00 6E 00 00 00 4B 69` for `{status: 0, diagnostic: 0}` from COM-ADR 0. */
export function keepAliveFrame(keepAlive: FeigKeepAlive, address = 0x00): FeigFrame {
  const { status, diagnostic } = keepAlive;
  if (!isByte(status) || !Number.isInteger(diagnostic) || diagnostic < 0 || diagnostic > 0xffff)
    throw new FeigFrameError('feig_bad_argument', 'keep-alive status is a byte, diagnostic 16 bits');
  return {
    address,
    command: FEIG_GATE_COMMAND.keepAlive,
    data: Uint8Array.of(status, diagnostic >>> 8, diagnostic & 0xff),
  };
}

export function decodeKeepAlive(frame: FeigFrame): FeigKeepAlive {
  if (frame.command !== FEIG_GATE_COMMAND.keepAlive)
    throw new FeigFrameError('feig_bad_reply', 'not a keep-alive');
  if (frame.data.length !== 3)
    throw new FeigFrameError('feig_bad_reply', `keep-alive with ${frame.data.length} data bytes, not 3`);
  return { status: frame.data[0]!, diagnostic: (frame.data[1]! << 8) | frame.data[2]! };
}

/** `02 00 07 FF 32 54 47`: the host acknowledges a notification (ACK mode) by clearing the buffer. */
export function clearBufferRequest(address = FEIG_BROADCAST_ADDRESS): FeigFrame {
  return { address, command: FEIG_GATE_COMMAND.clearBuffer, data: new Uint8Array(0) };
}

/** `02 00 07 FF 63 58 04`; the reader answers `02 00 08 00 63 00 C3 AA` and restarts with its stored configuration. */
export function cpuResetRequest(address = FEIG_BROADCAST_ADDRESS): FeigFrame {
  return { address, command: FEIG_GATE_COMMAND.cpuReset, data: new Uint8Array(0) };
}

/** Where a configuration command goes: the values gatealert sends, unless said. */
export interface FeigConfigTarget {
  /** 0x02: the RF controller. */
  device: number;
  bank: number;
  mode: number;
}

export const GATE_CONFIG_TARGET: Readonly<FeigConfigTarget> = Object.freeze({
  device: 0x02,
  bank: 0x01,
  mode: 0x01,
});

export interface FeigConfigBlock {
  /** CFG-ADR: the block number. */
  block: number;
  data: Uint8Array;
}

/** `[0x8A]` read `count` blocks from `first`: `02 00 0D FF 8A 02 01 01 00 09 01 80 12` for block 9. */
export function readConfigRequest(
  first: number,
  options: { count?: number; address?: number; target?: FeigConfigTarget } = {},
): FeigFrame {
  const { device, bank, mode } = options.target ?? GATE_CONFIG_TARGET;
  const count = options.count ?? 1;
  if (!isWord(first) || !isByte(count) || !isByte(device) || !isByte(bank) || !isByte(mode))
    throw new FeigFrameError('feig_bad_argument', 'configuration block address is 16 bits, the rest bytes');
  return {
    address: options.address ?? FEIG_BROADCAST_ADDRESS,
    command: FEIG_GATE_COMMAND.readConfig,
    data: Uint8Array.of(device, bank, mode, first >>> 8, first & 0xff, count),
  };
}

export function decodeReadConfigRequest(
  data: Uint8Array,
): FeigConfigTarget & { first: number; count: number } {
  if (data.length !== 6)
    throw new FeigFrameError('feig_bad_argument', `read configuration with ${data.length} data bytes, not 6`);
  return {
    device: data[0]!,
    bank: data[1]!,
    mode: data[2]!,
    first: (data[3]! << 8) | data[4]!,
    count: data[5]!,
  };
}

/** `[0x8B]` write blocks (all of one size). */
export function writeConfigRequest(
  blocks: readonly FeigConfigBlock[],
  options: { address?: number; target?: FeigConfigTarget } = {},
): FeigFrame {
  const { device, bank, mode } = options.target ?? GATE_CONFIG_TARGET;
  return {
    address: options.address ?? FEIG_BROADCAST_ADDRESS,
    command: FEIG_GATE_COMMAND.writeConfig,
    data: Uint8Array.from([device, bank, mode, ...configBlocks(blocks)]),
  };
}

export function decodeWriteConfigRequest(data: Uint8Array): FeigConfigTarget & { blocks: FeigConfigBlock[] } {
  if (data.length < 5) throw new FeigFrameError('feig_truncated', 'write configuration shorter than 5 bytes');
  return { device: data[0]!, bank: data[1]!, mode: data[2]!, blocks: readBlocks(data.subarray(3)) };
}

/** A read-configuration reply's data after STATUS: `CFG-N BLOCK-SIZE (CFG-ADR(2) data)…`. */
export function encodeConfigReply(blocks: readonly FeigConfigBlock[]): Uint8Array {
  return Uint8Array.from(configBlocks(blocks));
}

export function decodeConfigReply(data: Uint8Array): FeigConfigBlock[] {
  return readBlocks(data);
}

function configBlocks(blocks: readonly FeigConfigBlock[]): number[] {
  const size = blocks[0]?.data.length ?? 0;
  if (blocks.length < 1 || blocks.length > 0xff || size < 1 || size > 0xff)
    throw new FeigFrameError('feig_bad_argument', '1..255 configuration blocks of 1..255 bytes');
  const out = [blocks.length, size];
  for (const { block, data } of blocks) {
    if (!isWord(block) || data.length !== size)
      throw new FeigFrameError('feig_bad_argument', `every configuration block is ${size} bytes`);
    out.push(block >>> 8, block & 0xff, ...data);
  }
  return out;
}

function readBlocks(data: Uint8Array): FeigConfigBlock[] {
  if (data.length < 2)
    throw new FeigFrameError('feig_bad_reply', 'configuration without CFG-N and BLOCK-SIZE');
  const count = data[0]!;
  const size = data[1]!;
  if (data.length !== 2 + count * (size + 2))
    throw new FeigFrameError(
      'feig_bad_reply',
      `configuration of ${count} blocks of ${size} bytes has ${data.length - 2}`,
    );
  const blocks: FeigConfigBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = 2 + i * (size + 2);
    blocks.push({ block: (data[at]! << 8) | data[at + 1]!, data: data.slice(at + 2, at + 2 + size) });
  }
  return blocks;
}

/** The configuration block holding the gate alarm, and its size on the ACC controller. */
export const GATE_ALARM_BLOCK = 9;
export const GATE_CONFIG_BLOCK_SIZE = 30;
/** Loop masks: byte 0 (fitted) and byte 1 (switched on) of block 9. */
export const GATE_ALARM_LOOPS = { one: 0x03, two: 0x0f } as const;

export interface GateAlarmState {
  /** Some alarm loop is switched on. */
  on: boolean;
  /** The loops fitted (byte 0). */
  loops: number;
  /** The loops switched on (byte 1). */
  active: number;
}

/** Reads the alarm from configuration block 9: `0F 0F …` on, `0F 00 …` off. */
export function gateAlarmState(block: Uint8Array): GateAlarmState {
  if (block.length < 2)
    throw new FeigFrameError('feig_bad_reply', 'alarm configuration block shorter than 2 bytes');
  return { on: block[1] !== 0, loops: block[0]!, active: block[1]! };
}

/** Block 9 with the alarm switched on (all `loops`) or off; every other byte as in `current`. */
export function withGateAlarm(current: Uint8Array, on: boolean, loops: number): Uint8Array {
  if (current.length < 2 || !isByte(loops) || loops === 0)
    throw new FeigFrameError('feig_bad_argument', 'alarm block of 2+ bytes and a non-zero loop mask');
  const next = Uint8Array.from(current);
  next[0] = loops;
  next[1] = on ? loops : 0x00;
  return next;
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

function isWord(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
