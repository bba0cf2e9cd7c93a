/**
 * Watches the byte stream of one MQTT connection and says when a packet is too
 * big, before the broker's parser has buffered it. It reads only the fixed
 * header (type byte + "remaining length" varint, MQTT 3.1.1 §2.2) and skips the
 * body, so it holds no bytes of its own: incremental and bounded.
 */
export type FrameVerdict = { ok: true } | { ok: false; reason: 'packet_too_large' | 'malformed_length' };

type Stage = 'type' | 'length' | 'body';

export class MqttFrameGuard {
  private stage: Stage = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private failed: FrameVerdict | undefined;

  /** @param maxPacketSize largest whole packet (fixed header included) allowed, in bytes. */
  constructor(private readonly maxPacketSize: number) {}

  /** The size in bytes of the packet last announced (fixed header included): the one too large, once refused. */
  get packetSize(): number {
    return 1 + this.lengthBytes + this.length;
  }

  /** Feeds the next chunk; once a verdict is not ok, it stays so. */
  push(chunk: Uint8Array): FrameVerdict {
    if (this.failed) return this.failed;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.stage === 'body') {
        const skip = Math.min(this.bodyLeft, chunk.length - offset);
        offset += skip;
        this.bodyLeft -= skip;
        if (this.bodyLeft === 0) this.stage = 'type';
        continue;
      }
      const byte = chunk[offset++] as number;
      if (this.stage === 'type') {
        this.stage = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return this.fail('malformed_length');
        continue;
      }
      if (1 + this.lengthBytes + this.length > this.maxPacketSize) return this.fail('packet_too_large');
      this.bodyLeft = this.length;
      this.stage = this.bodyLeft === 0 ? 'type' : 'body';
    }
    return { ok: true };
  }

  private fail(reason: 'packet_too_large' | 'malformed_length'): FrameVerdict {
    this.failed = { ok: false, reason };
    return this.failed;
  }
}
