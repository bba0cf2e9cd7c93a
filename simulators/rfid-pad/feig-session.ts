/**
 * The simulated pad's FEIG ID ISC side: advanced-protocol frames in, replies out, through a
 * dispatch table (STYLE 8). Large inventories come in chunks with status 0x94 (more data).
 */
import type { Duplex } from 'node:stream';
import {
  decodeIsoRequest,
  encodeFeigFrame,
  encodeInventoryReply,
  encodeReadBlocksReply,
  encodeSoftwareVersion,
  encodeSystemInfoReply,
  FEIG_COMMAND,
  FEIG_STATUS,
  FEIG_TR_TYPE_ISO15693,
  type FeigFrame,
  FeigFrameParser,
  type FeigIsoRequest,
} from '../../src/protocols/feig/index.js';
import { servePacedReplies } from './paced-writer.js';
import type { PadField, TagFault, TagResult } from './pad.js';
import type { VirtualTag } from './tags.js';

/** Data sets per inventory reply before the reader says "more data". */
const INVENTORY_CHUNK = 24;

const EAS_SEQUENCE = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

interface Reply {
  status: number;
  data?: ArrayLike<number>;
}

export interface FeigSessionOptions {
  /** Paces replies like a serial line at this rate; none over TCP by default. */
  baudRate?: number;
  /** The reader's COM-ADR. */
  address?: number;
}

export function serveFeig(
  stream: Duplex,
  pad: PadField,
  options: FeigSessionOptions = {},
): { close(): void } {
  const address = options.address ?? 0x00;
  let queuedInventory: VirtualTag[] = [];

  const faultReply = (fault: TagFault): Reply => {
    switch (fault.kind) {
      case 'absent':
        return { status: FEIG_STATUS.noTransponder };
      case 'left-during-write':
        return { status: FEIG_STATUS.rfCommunicationError };
      case 'locked':
        return { status: FEIG_STATUS.isoError, data: [0x12] };
      case 'out-of-range':
        return { status: FEIG_STATUS.isoError, data: [0x10] };
      case 'unreadable':
        // The tag's own ISO 15693 error: 0x0F, an error it gives no more information of.
        return { status: FEIG_STATUS.isoError, data: [0x0f] };
    }
  };
  const result = <T>(outcome: TagResult<T>, data: (value: T) => ArrayLike<number> = () => []): Reply =>
    outcome.ok ? { status: FEIG_STATUS.ok, data: data(outcome.value) } : faultReply(outcome.fault);

  const inventoryChunk = (): Reply => {
    const chunk = queuedInventory.slice(0, INVENTORY_CHUNK);
    queuedInventory = queuedInventory.slice(INVENTORY_CHUNK);
    if (chunk.length === 0) return { status: FEIG_STATUS.noTransponder };
    return {
      status: queuedInventory.length > 0 ? FEIG_STATUS.moreData : FEIG_STATUS.ok,
      data: encodeInventoryReply(
        chunk.map((t) => ({ transponderType: FEIG_TR_TYPE_ISO15693, dsfid: t.dsfid, uid: t.uid })),
      ),
    };
  };

  const iso: { [K in FeigIsoRequest['kind']]: (request: Extract<FeigIsoRequest, { kind: K }>) => Reply } = {
    inventory: (request) => {
      if (!request.more) queuedInventory = pad.inventory(request.afi);
      return inventoryChunk();
    },
    readBlocks: (request) =>
      result(pad.readBlocks(request.uid, request.first, request.count), ({ tag, blocks }) =>
        encodeReadBlocksReply({
          blockSize: tag.blockSize,
          blocks,
          securityStatus: blocks.map((_, i) => (tag.lockedBlocks.has(request.first + i) ? 1 : 0)),
        }),
      ),
    writeBlocks: (request) => result(pad.writeBlocks(request.uid, request.first, request.blocks)),
    lockBlocks: (request) => result(pad.lockBlocks(request.uid, request.first, request.count)),
    writeAfi: (request) => result(pad.writeAfi(request.uid, request.afi)),
    writeDsfid: (request) => result(pad.writeDsfid(request.uid, request.dsfid)),
    systemInfo: (request) =>
      result(pad.present(request.uid), (tag) =>
        encodeSystemInfoReply({
          uid: tag.uid,
          dsfid: tag.dsfid,
          afi: tag.afi,
          blockSize: tag.blockSize,
          blockCount: tag.blockCount,
          icReference: tag.icReference,
        }),
      ),
    eas: (request) => {
      if (request.command === 'alarm') {
        const found = pad.present(request.uid);
        if (!found.ok || !found.value.eas) return { status: FEIG_STATUS.noTransponder };
        return { status: FEIG_STATUS.ok, data: EAS_SEQUENCE };
      }
      if (request.command === 'lock') return result(pad.present(request.uid));
      return result(pad.setEas(request.uid, request.command === 'set'));
    },
  };

  const handle = (frame: FeigFrame): Reply => {
    switch (frame.command) {
      case FEIG_COMMAND.baudDetect:
        return { status: FEIG_STATUS.ok };
      case FEIG_COMMAND.softwareVersion:
        return {
          status: FEIG_STATUS.ok,
          data: encodeSoftwareVersion({
            revision: '3.4.0',
            hardwareType: 0x00,
            readerType: 0x4f,
            transponderTypes: 0x0008,
          }),
        };
      case FEIG_COMMAND.isoHost:
      case FEIG_COMMAND.nxpCustom: {
        let request: FeigIsoRequest;
        try {
          request = decodeIsoRequest(frame.command, frame.data);
        } catch {
          return { status: FEIG_STATUS.unknownCommand };
        }
        return (iso[request.kind] as (r: FeigIsoRequest) => Reply)(request);
      }
      default:
        return { status: FEIG_STATUS.unknownCommand };
    }
  };

  return servePacedReplies(stream, new FeigFrameParser(), pad, options.baudRate, (frame) => {
    if (frame.address !== 0xff && frame.address !== address) return undefined;
    const reply = handle(frame);
    const data = Uint8Array.from([reply.status, ...Array.from(reply.data ?? [])]);
    return encodeFeigFrame({ address, command: frame.command, data });
  });
}
