/** The simulated pad's 3M 810 side: D5/D6 frames in, replies out, through a dispatch table. */
import type { Duplex } from 'node:stream';
import {
  decodeThreeMRequest,
  encodeInventoryReply,
  encodeProbeReply,
  encodeReadAfiReply,
  encodeReadBlocksReply,
  encodeThreeMFrame,
  encodeWriteAfiReply,
  encodeWriteBlocksReply,
  errorReply,
  THREEM_BLOCK_SIZE,
  THREEM_STATUS,
  type ThreeMFrame,
  ThreeMFrameParser,
  type ThreeMRequest,
} from '../../src/protocols/threem/index.js';
import { servePacedReplies } from './paced-writer.js';
import type { PadField, TagFault } from './pad.js';

const FAULT_STATUS: Record<TagFault['kind'], number> = {
  absent: THREEM_STATUS.noTag,
  'left-during-write': THREEM_STATUS.noTag,
  locked: THREEM_STATUS.blockLocked,
  'out-of-range': THREEM_STATUS.addressError,
  // The 810 has no status of its own for a tag whose read failed: to it, the tag did not answer.
  unreadable: THREEM_STATUS.noTag,
};

export function serveThreeM(
  stream: Duplex,
  pad: PadField,
  options: { baudRate?: number } = {},
): { close(): void } {
  const handlers: {
    [K in ThreeMRequest['kind']]: (request: Extract<ThreeMRequest, { kind: K }>) => ThreeMFrame;
  } = {
    probe: () => encodeProbeReply(Uint8Array.of(0x0a, 0x05, 0x00, 0x02)),
    inventory: () => encodeInventoryReply(pad.inventory().map((t) => t.uid)),
    readBlocks: (r) => {
      const outcome = pad.readBlocks(r.uid, r.first, r.count);
      if (!outcome.ok) return errorReply(0x02, FAULT_STATUS[outcome.fault.kind]);
      return encodeReadBlocksReply(r.uid, r.first, Buffer.concat(outcome.value.blocks));
    },
    writeBlocks: (r) => {
      const blocks: Uint8Array[] = [];
      for (let at = 0; at < r.data.length; at += THREEM_BLOCK_SIZE)
        blocks.push(r.data.slice(at, at + THREEM_BLOCK_SIZE));
      const outcome = pad.writeBlocks(r.uid, r.first, blocks);
      if (!outcome.ok) return errorReply(0x04, FAULT_STATUS[outcome.fault.kind]);
      return encodeWriteBlocksReply(r.uid, r.first, blocks.length);
    },
    readAfi: (r) => {
      const outcome = pad.present(r.uid);
      if (!outcome.ok) return errorReply(0x0a, FAULT_STATUS[outcome.fault.kind]);
      return encodeReadAfiReply(r.uid, outcome.value.afi);
    },
    writeAfi: (r) => {
      const outcome = pad.writeAfi(r.uid, r.afi);
      if (!outcome.ok) return errorReply(0x09, FAULT_STATUS[outcome.fault.kind]);
      return encodeWriteAfiReply(r.uid);
    },
  };

  return servePacedReplies(stream, new ThreeMFrameParser(), pad, options.baudRate, (frame) => {
    let reply: ThreeMFrame;
    try {
      const request = decodeThreeMRequest(frame);
      reply = (handlers[request.kind] as (r: ThreeMRequest) => ThreeMFrame)(request);
    } catch {
      reply = errorReply(frame.payload[0] ?? 0, THREEM_STATUS.unknownCommand, frame.start);
    }
    return encodeThreeMFrame(reply);
  });
}
