import { describe, expect, it } from 'vitest';
import { MqttFrameGuard } from '../../../src/api/mqtt/frame-guard.js';

/** MQTT 3.1.1 §2.2.3 variable-length "remaining length". */
function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function packet(typeByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeByte]), remainingLength(body.length), body]);
}

/** A QoS 0 PUBLISH (§3.3) to a request topic. */
function publish(payloadBytes: number): Buffer {
  const topic = Buffer.from('carrel/a/b/request/echo');
  const topicLength = Buffer.from([topic.length >> 8, topic.length & 0xff]);
  return packet(0x30, Buffer.concat([topicLength, topic, Buffer.alloc(payloadBytes, 0x61)]));
}

const pingreq = Buffer.from([0xc0, 0x00]);
const disconnect = Buffer.from([0xe0, 0x00]);
const stream = Buffer.concat([publish(10), publish(200), pingreq, publish(0), publish(130), disconnect]);

describe('MqttFrameGuard', () => {
  it('lets a stream of packets within the limit through, split at every offset', () => {
    for (let split = 0; split <= stream.length; split++) {
      const guard = new MqttFrameGuard(300);
      expect(guard.push(stream.subarray(0, split))).toEqual({ ok: true });
      expect(guard.push(stream.subarray(split))).toEqual({ ok: true });
    }
  });

  it('stops at the first packet over the limit, split at every offset, and stays stopped', () => {
    const big = Buffer.concat([publish(10), publish(20_000), publish(10)]);
    for (let split = 0; split <= 40; split++) {
      const guard = new MqttFrameGuard(1000);
      const first = guard.push(big.subarray(0, split));
      const second = guard.push(big.subarray(split));
      expect([first, second]).toContainEqual({ ok: false, reason: 'packet_too_large' });
      expect(guard.push(publish(1))).toEqual({ ok: false, reason: 'packet_too_large' });
    }
  });

  it('judges a packet by its header before its body arrives', () => {
    const guard = new MqttFrameGuard(1000);
    expect(guard.push(publish(5000).subarray(0, 4))).toEqual({ ok: false, reason: 'packet_too_large' });
  });

  it('refuses a remaining length longer than four bytes', () => {
    const guard = new MqttFrameGuard(Number.MAX_SAFE_INTEGER);
    expect(guard.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toEqual({
      ok: false,
      reason: 'malformed_length',
    });
  });

  it('counts the fixed header in the limit', () => {
    const packet = publish(50);
    expect(new MqttFrameGuard(packet.length).push(packet)).toEqual({ ok: true });
    expect(new MqttFrameGuard(packet.length - 1).push(packet)).toMatchObject({ ok: false });
  });
});
