/**
 * A self-check that does not read its answers: once its socket's buffer is
 * full the relay handles its next request only when the socket has drained
 * (or closed), so nothing is written to it without end; while the buffer has
 * room, answers are written without waiting.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseSip2RelayConfig } from '../../../src/gateway/relay/index.js';
import { RelaySession } from '../../../src/gateway/relay/session.js';
import { type AnySip2MessageInput, encodeSip2Message } from '../../../src/protocols/sip2/index.js';

const DATE = '20261203    142355';
const LOGIN = { type: 'login', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: 'sc', loginPassword: 'pw' };
const ITEM = {
  type: 'itemInformation',
  transactionDate: DATE,
  institutionId: 'MAIN',
  itemIdentifier: '31000001',
};
const ANSWER = {
  type: 'itemInformationResponse',
  circulationStatus: '03',
  securityMarker: '02',
  feeType: '01',
  transactionDate: DATE,
  itemIdentifier: '31000001',
  titleIdentifier: 'A title',
} as unknown as AnySip2MessageInput;

/** A self-check's end of the link whose reads the test holds back: each write waits for `release()`. */
class HeldSelfCheck extends Duplex {
  readonly answers: Buffer[] = [];
  private held: Array<() => void> = [];

  constructor(highWaterMark: number) {
    super({ writableHighWaterMark: highWaterMark });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.answers.push(chunk);
    this.held.push(() => done());
  }

  /** The self-check reads what it was sent. */
  release(): void {
    for (const done of this.held.splice(0)) done();
  }

  send(message: Record<string, unknown>, sequence: number): void {
    this.push(encodeSip2Message(message as unknown as AnySip2MessageInput, { sequence }));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function sessionOn(stream: HeldSelfCheck) {
  const asked: string[] = [];
  const closed: unknown[] = [];
  new RelaySession(
    stream,
    {
      config: parseSip2RelayConfig({ port: 0, accounts: [{ kioskUser: 'sc', kioskPassword: 'pw' }] }),
      ilsFor: () => ({
        exchange: (request) => {
          asked.push(request.type);
          return Promise.resolve({ message: { ...ANSWER } as never });
        },
      }),
      clock: systemClock,
      logger: silentLogger(),
    },
    (session) => closed.push(session),
  );
  return { asked, closed };
}

describe('SIP2 relay backpressure on answers', () => {
  it('handles the next request only once a full socket has drained', async () => {
    const stream = new HeldSelfCheck(1);
    const { asked } = sessionOn(stream);
    stream.send(LOGIN, 0);
    stream.send(ITEM, 1);
    stream.send(ITEM, 2);
    await settle();
    // The login's answer filled the buffer: nothing more is handled until it is read.
    expect(stream.answers.map((a) => a.subarray(0, 2).toString())).toEqual(['94']);
    expect(asked).toEqual([]);
    stream.release();
    await settle();
    expect(asked).toEqual(['itemInformation']);
    expect(stream.answers).toHaveLength(2);
    stream.release();
    await settle();
    expect(asked).toEqual(['itemInformation', 'itemInformation']);
    expect(stream.answers.map((a) => a.toString('latin1').match(/AY(\d)/)?.[1])).toEqual(['0', '1', '2']);
  });

  it('answers without waiting while the buffer has room', async () => {
    const stream = new HeldSelfCheck(64 * 1024);
    const { asked } = sessionOn(stream);
    stream.send(LOGIN, 0);
    for (let i = 1; i <= 5; i++) stream.send(ITEM, i % 10);
    await settle();
    // Every request relayed though the self-check has read none of its answers yet.
    expect(asked).toHaveLength(5);
    for (let i = 0; i < 6; i++) {
      stream.release();
      await settle();
    }
    expect(stream.answers).toHaveLength(6);
  });

  it('stops waiting when a self-check that does not read goes away', async () => {
    const stream = new HeldSelfCheck(1);
    const { asked, closed } = sessionOn(stream);
    stream.send(LOGIN, 0);
    stream.send(ITEM, 1);
    await settle();
    expect(asked).toEqual([]);
    stream.destroy();
    await settle();
    expect(closed).toHaveLength(1);
    // Closed: the request left behind is not sent to the ILS.
    expect(asked).toEqual([]);
  });
});
