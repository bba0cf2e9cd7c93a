import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportClosedError, TransportError } from '../../../src/core/errors.js';
import type { Transport } from '../../../src/devices/transport/transport.js';
import { ByteCollector, patternBytes, type TakeLimit } from '../../helpers/byte-collector.js';

/** The other side of the link: the device, the simulator, the peer socket. */
export interface FarEnd {
  /** Sends bytes to the transport's reader. */
  send(bytes: Uint8Array): Promise<void>;
  /** Resolves with the next `length` bytes the transport wrote (rejects as `within` says, if given). */
  take(length: number, within?: TakeLimit): Promise<Buffer>;
}

export interface TransportFixture {
  transport: Transport;
  /** The far end of the link the transport just opened; call after each successful `open()`. */
  connected(): Promise<FarEnd>;
  /** Pulls the cable / kills the peer / unplugs the device. Absent when it cannot be done (real hardware). */
  drop?(): Promise<void>;
  /** drop() takes the device away for good (a pty pair closed): nothing to open again after it. */
  goneAfterDrop?: boolean;
  /** A transport of the same kind aimed at something that is not there. */
  unreachable(): Transport;
  /** Stops everything the fixture started. */
  cleanup(): Promise<void>;
}

const settleEvents = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The Transport contract (src/devices/transport/transport.ts) as one suite,
 * run against every transport: mock, TCP, serial (mock binding, pty, hardware), lp.
 */
export function transportContract(name: string, makeFixture: () => Promise<TransportFixture>): void {
  describe(`${name} keeps the transport contract`, () => {
    let fixture: TransportFixture;
    let transport: Transport;
    let received: ByteCollector;
    let closes: Array<Error | undefined>;

    beforeEach(async () => {
      fixture = await makeFixture();
      transport = fixture.transport;
      received = new ByteCollector();
      closes = [];
      transport.on('data', received.push);
      transport.on('close', (error) => closes.push(error));
    });

    afterEach(async () => {
      await transport.close();
      await fixture.cleanup();
    });

    it('carries bytes both ways once open', async () => {
      expect(transport.isOpen).toBe(false);
      await transport.open();
      expect(transport.isOpen).toBe(true);
      const far = await fixture.connected();

      await transport.write(Buffer.from('DLE EOT 1'));
      expect((await far.take(9)).toString()).toBe('DLE EOT 1');
      await far.send(Buffer.from('status 0x12'));
      expect((await received.take(11)).toString()).toBe('status 0x12');
    });

    it('carries 64 KiB each way, in order, written in chunks without waiting', async () => {
      await transport.open();
      const far = await fixture.connected();
      // 64 KiB takes milliseconds: a take that waits seconds is a stall, and says where it is.
      let written = 0;
      let sent = 0;
      const state = () =>
        `transport ${transport.isOpen ? 'open' : 'closed'}, close events ${JSON.stringify(closes.map(String))}, ` +
        `${written} writes settled, ${sent} bytes sent by the far end`;
      const outgoing = patternBytes(64 * 1024, 1);
      const arrived = far.take(outgoing.length, { ms: 8_000, what: 'transport → far end', context: state });
      const writes: Promise<void>[] = [];
      for (let offset = 0; offset < outgoing.length; offset += 1000)
        writes.push(transport.write(outgoing.subarray(offset, offset + 1000)).then(() => void written++));
      await Promise.all(writes);
      expect((await arrived).equals(outgoing)).toBe(true);

      const incoming = patternBytes(64 * 1024, 2);
      const gathered = received.take(incoming.length, {
        ms: 8_000,
        what: 'far end → transport',
        context: state,
      });
      for (let offset = 0; offset < incoming.length; offset += 4096) {
        await far.send(incoming.subarray(offset, offset + 4096));
        sent = offset + 4096;
      }
      expect((await gathered).equals(incoming)).toBe(true);
    });

    it('close() settles pending writes in order, rejects later ones, and emits one close without error', async () => {
      await transport.open();
      await fixture.connected();
      const outcomes = Array.from({ length: 16 }, (_, index) =>
        transport.write(patternBytes(4096, index)).then(
          () => 'written' as const,
          (error: unknown) => error,
        ),
      );
      await transport.close();
      const settled = await Promise.all(outcomes);
      for (const outcome of settled)
        if (outcome !== 'written') expect(outcome).toBeInstanceOf(TransportClosedError);
      // Handed to the OS in order: once one write was cancelled, every later one was too.
      const firstCancelled = settled.findIndex((outcome) => outcome !== 'written');
      if (firstCancelled >= 0) expect(settled.slice(firstCancelled)).not.toContain('written');

      expect(transport.isOpen).toBe(false);
      await expect(transport.write(Buffer.from('late'))).rejects.toBeInstanceOf(TransportClosedError);
      await transport.close();
      await settleEvents();
      expect(closes).toEqual([undefined]);
    });

    it('close() during open() waits for it, then closes: one close event, not open', async () => {
      const opening = transport.open();
      const closing = transport.close();
      await opening;
      await closing;
      expect(transport.isOpen).toBe(false);
      expect(closes).toEqual([undefined]);
      await expect(transport.write(Buffer.from('x'))).rejects.toBeInstanceOf(TransportClosedError);
    });

    it('send() carries bytes as write() does, and tells only a failure, never at once', async () => {
      const failures: Error[] = [];
      const failed = (error: Error) => failures.push(error);
      transport.send(Buffer.from('early'), failed);
      // Not open: said later, as write() rejects — never while the caller is still in send().
      expect(failures).toEqual([]);
      await settleEvents();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(TransportClosedError);

      await transport.open();
      const far = await fixture.connected();
      transport.send(Buffer.from('64Y'), failed);
      transport.send(Buffer.from('AZF'), failed);
      expect((await far.take(6)).toString()).toBe('64YAZF');
      await settleEvents();
      expect(failures).toHaveLength(1);

      await transport.close();
      transport.send(Buffer.from('late'), failed);
      await settleEvents();
      expect(failures).toHaveLength(2);
      expect(failures[1]).toBeInstanceOf(TransportClosedError);
    });

    it('close() on a transport never opened does nothing', async () => {
      await transport.close();
      expect(closes).toEqual([]);
    });

    it('emits one close with an error when the far end goes away', async (context) => {
      if (!fixture.drop) context.skip('this fixture cannot drop the link (real hardware)');
      await transport.open();
      await fixture.connected();
      const closed = new Promise<Error | undefined>((resolve) => transport.on('close', resolve));
      await fixture.drop?.();
      const error = await closed;
      expect(error).toBeInstanceOf(TransportError);
      expect(error).not.toBeInstanceOf(TransportClosedError);
      expect(transport.isOpen).toBe(false);
      await expect(transport.write(Buffer.from('x'))).rejects.toBeInstanceOf(TransportError);
      const sent = await new Promise<Error>((resolve) => transport.send(Buffer.from('x'), resolve));
      expect(sent).toBeInstanceOf(TransportError);
      await transport.close();
      await settleEvents();
      expect(closes).toHaveLength(1);
    });

    it('opens again after close and still carries bytes', async () => {
      await transport.open();
      await fixture.connected();
      await transport.close();
      await transport.open();
      const far = await fixture.connected();
      await transport.write(Buffer.from('again'));
      expect((await far.take(5)).toString()).toBe('again');
      await far.send(Buffer.from('back'));
      expect((await received.take(4)).toString()).toBe('back');
      await transport.close();
      expect(closes).toEqual([undefined, undefined]);
    });

    it('rejects open() on an unreachable target with a TransportError, leaving nothing behind', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const stray = fixture.unreachable();
        const strayCloses: unknown[] = [];
        stray.on('close', (error) => strayCloses.push(error));
        await expect(stray.open()).rejects.toBeInstanceOf(TransportError);
        expect(stray.isOpen).toBe(false);
        await expect(stray.write(Buffer.from('x'))).rejects.toBeInstanceOf(TransportClosedError);
        await stray.close();
        await settleEvents();
        expect(strayCloses).toEqual([]);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('close() asked again while the link is still closing resolves once it can be opened again', async () => {
      await transport.open();
      await fixture.connected();
      const first = transport.close();
      await transport.close();
      expect(transport.isOpen).toBe(false);
      await transport.open();
      const far = await fixture.connected();
      await transport.write(Buffer.from('again'));
      expect((await far.take(5)).toString()).toBe('again');
      await first;
      expect(closes).toEqual([undefined]);
    });

    it('open() while the link is still closing opens it once closed, not already_open', async () => {
      await transport.open();
      await fixture.connected();
      const closing = transport.close();
      await transport.open();
      await closing;
      expect(transport.isOpen).toBe(true);
      const far = await fixture.connected();
      await transport.write(Buffer.from('again'));
      expect((await far.take(5)).toString()).toBe('again');
      expect(closes).toEqual([undefined]);
    });

    it('close() and open() at once after the far end went away open it again', async (context) => {
      if (!fixture.drop) context.skip('this fixture cannot drop the link (real hardware)');
      if (fixture.goneAfterDrop) context.skip('the device is gone after the drop: nothing to open again');
      await transport.open();
      await fixture.connected();
      await fixture.drop?.();
      // As soon as the link is seen gone (not waiting for its close event): closed, then opened again.
      for (let i = 0; i < 400 && transport.isOpen; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(transport.isOpen).toBe(false);
      await transport.close();
      await transport.open();
      expect(transport.isOpen).toBe(true);
      const far = await fixture.connected();
      await transport.write(Buffer.from('again'));
      expect((await far.take(5)).toString()).toBe('again');
      expect(closes).toHaveLength(1);
      expect(closes[0]).toBeInstanceOf(TransportError);
    });

    it("rejects a second open() with 'already_open' and stays usable", async () => {
      await transport.open();
      const far = await fixture.connected();
      await expect(transport.open()).rejects.toMatchObject({ code: 'already_open' });
      expect(transport.isOpen).toBe(true);
      await transport.write(Buffer.from('ok'));
      expect((await far.take(2)).toString()).toBe('ok');
    });
  });
}
