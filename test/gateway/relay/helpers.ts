import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { type Logger, silentLogger } from '../../../src/core/logger.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import {
  type OfflineJournal,
  OfflineReplayer,
  type OfflineReplayReport,
} from '../../../src/gateway/offline/index.js';
import {
  offlineAcceptance,
  parseSip2RelayConfig,
  type RelayOfflineOutcome,
  type Sip2RelayConfigInput,
  Sip2RelayServer,
  type Sip2RelayServerOptions,
  sip2RelayOfflineSchema,
} from '../../../src/gateway/relay/index.js';
import {
  encodeSip2Text,
  type Sip2Charset,
  Sip2Framer,
  type Sip2Message,
  sip2Checksum,
} from '../../../src/protocols/sip2/index.js';
import { sampleKioskClient } from '../../helpers/sample-ils.js';
import { SipRecorder } from '../../helpers/sip-recorder.js';

export const TRANSCRIPT_DATE = '20260101    120000';

/** The recorded self-check session: request frames without AY/AZ. */
export function loadTranscript(): string[] {
  const path = fileURLToPath(new URL('../../fixtures/relay/transcript.txt', import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => line.replaceAll('{DATE}', TRANSCRIPT_DATE));
}

/** `text` with AY<sequence>AZ<checksum> in `charset`, terminated by CR. */
export function withErrorDetection(text: string, sequence: number, charset: Sip2Charset = 'utf-8'): Buffer {
  const body = `${text}AY${sequence}AZ`;
  const bytes = encodeSip2Text(body, charset);
  return Buffer.concat([bytes, Buffer.from(`${sip2Checksum(bytes)}\r`, 'latin1')]);
}

/** A self-check on a TCP socket: one request, one answer frame (terminator excluded). */
export class KioskLink {
  private readonly framer = new Sip2Framer();
  private readonly frames: Buffer[] = [];
  /** Every byte received, terminators included. */
  received = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const event of this.framer.push(chunk)) {
        if (event.type === 'frame') this.frames.push(Buffer.from(event.frame));
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** A link to the relay on `port`, from `localAddress` (another 127.x.y.z stands in for another machine). */
  static async open(port: number, localAddress?: string): Promise<KioskLink> {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    await once(socket, 'connect');
    socket.setNoDelay(true);
    return new KioskLink(socket);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The next answer frame; undefined when the link closed first. */
  async next(): Promise<Buffer | undefined> {
    while (this.frames.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return this.frames.shift();
  }

  async request(bytes: Uint8Array): Promise<Buffer | undefined> {
    this.socket.write(bytes);
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface RelayRig {
  simulator: IlsSimulator;
  client: IlsClient;
  relay: Sip2RelayServer;
  /** What the relay's ILS link sent the ILS, when the rig was asked to record it (`recordIls`). */
  recorder?: SipRecorder;
  close(): Promise<void>;
}

export const KIOSK_ACCOUNT = {
  kioskUser: 'selfcheck-1',
  kioskPassword: 'sc1pw',
  charset: 'utf-8',
  terminator: 'CR',
  errorDetection: true,
} as const;

/** The login (93) of KIOSK_ACCOUNT's self-check, at MAIN, without AY/AZ. */
export const SELF_CHECK_LOGIN = `9300CN${KIOSK_ACCOUNT.kioskUser}|CO${KIOSK_ACCOUNT.kioskPassword}|CPMAIN|`;

/**
 * The relay tests' ILS client on 127.0.0.1:`port`, connected: logged in as the sample library's
 * kiosk1 at RIVERSIDE/MAIN unless `settings` say otherwise, no heartbeat, short timeouts.
 */
export async function connectIlsClient(
  port: number,
  settings: {
    user?: string;
    password?: string;
    charset?: Sip2Charset;
    pool?: { size: number; maxWaiting: number };
    requestTimeoutMs?: number;
  } = {},
): Promise<IlsClient> {
  const client = sampleKioskClient(port, {
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    charset: settings.charset ?? 'utf-8',
    requestTimeoutMs: settings.requestTimeoutMs ?? 2000,
    // A local listener answers at once; 1 s was reached on a machine at load 19 (the test process busy).
    connectTimeoutMs: 5000,
    pool: settings.pool ?? { size: 1, maxWaiting: 10 },
  });
  await client.connect();
  return client;
}

/**
 * Replays `journal` into the ILS at `ilsPort` over a link whose every request is written down (a
 * SipRecorder between them): what the replay said, and every message it sent the ILS.
 */
export async function replayRecorded(
  journal: OfflineJournal,
  ilsPort: number,
): Promise<{ replay: OfflineReplayReport; sent: string[] }> {
  const recorder = await SipRecorder.start(ilsPort);
  const replayLink = await connectIlsClient(recorder.port);
  try {
    const replay = await new OfflineReplayer({ journal, ils: replayLink }).run();
    return { replay, sent: recorder.sent };
  } finally {
    await replayLink.disconnect();
    await recorder.close();
  }
}

/** A fresh ILS simulator, a pooled client logged in as `ilsUser`, and a relay in front of it. */
export async function startRelayRig(
  options: {
    relay?: Partial<Sip2RelayConfigInput>;
    ilsUser?: string;
    ilsPassword?: string;
    ilsCharset?: Sip2Charset;
    logger?: Logger;
    onOffline?: Sip2RelayServerOptions['onOffline'];
    onTransaction?: Sip2RelayServerOptions['onTransaction'];
    journal?: Sip2RelayServerOptions['journal'];
    /** The ILS client's request timeout; 2 s unless told. */
    requestTimeoutMs?: number;
    /** The relay's clock; the system's unless told. */
    clock?: Clock;
    /** The ILS link through a SipRecorder, to see what the ILS was sent. */
    recordIls?: boolean;
  } = {},
): Promise<RelayRig> {
  const simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
  const recorder = options.recordIls ? await SipRecorder.start(simulator.port) : undefined;
  const client = await connectIlsClient(recorder?.port ?? simulator.port, {
    user: options.ilsUser ?? 'kiosk1',
    password: options.ilsPassword ?? 'kiosk1pw',
    charset: options.ilsCharset ?? 'utf-8',
    pool: { size: 2, maxWaiting: 100 },
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  const relay = new Sip2RelayServer({
    config: parseSip2RelayConfig({
      port: 0,
      accounts: [
        KIOSK_ACCOUNT,
        { kioskUser: 'kiosk1', kioskPassword: 'kiosk1pw' },
        { kioskUser: 'old850', kioskPassword: 'old850pw', charset: 'ibm850', terminator: 'CRLF' },
        { kioskUser: 'sorter', kioskPassword: 'sorterpw', charset: 'ascii', errorDetection: false },
      ],
      ...options.relay,
    }),
    ils: client.pool,
    logger: options.logger ?? silentLogger(),
    clock: options.clock ?? systemClock,
    ...(options.onOffline ? { onOffline: options.onOffline } : {}),
    ...(options.onTransaction ? { onTransaction: options.onTransaction } : {}),
    ...(options.journal ? { journal: options.journal } : {}),
  });
  await relay.start();
  return {
    simulator,
    client,
    relay,
    ...(recorder ? { recorder } : {}),
    async close() {
      await relay.stop();
      await client.disconnect();
      await recorder?.close();
      await simulator.close();
    },
  };
}

/**
 * Dates masked: 18-character SIP2 dates anywhere and AH/CM due dates; the AZ
 * checksum too, since it sums the dates (tests check it separately).
 */
export function maskDates(frame: string): string {
  return frame
    .replace(/\d{8}(?: {4}| {3}Z)\d{6}/g, '<date>')
    .replace(/\|(AH|CM)[^|]*/g, '|$1<date>')
    .replace(/AZ[0-9A-F]{4}$/, 'AZ<checksum>');
}

/**
 * Relay rigs and self-check links that close after each test: call inside a
 * `describe`, then `rig()` and `kiosk(port)` in its tests — or `selfCheck(port)` for a
 * self-check logged in, `rigWithSelfCheck()` for both.
 */
export function useRelayRigs() {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function rig(options: Parameters<typeof startRelayRig>[0] = {}): Promise<RelayRig> {
    const started = await startRelayRig(options);
    cleanups.push(() => started.close());
    return started;
  }
  async function kiosk(port: number): Promise<KioskLink> {
    const link = await KioskLink.open(port);
    cleanups.push(() => link.close());
    return link;
  }
  /** A self-check on the relay at `port`, logged in as KIOSK_ACCOUNT with error detection (AY0). */
  async function selfCheck(port: number): Promise<KioskLink> {
    const link = await kiosk(port);
    const login = await link.request(withErrorDetection(SELF_CHECK_LOGIN, 0));
    expect(login?.toString('latin1'), "the self-check's login").toMatch(/^941/);
    return link;
  }
  return {
    cleanups,
    rig,
    kiosk,
    selfCheck,
    /** A relay rig (`options` as for `rig`) and a self-check logged in on it (`link`). */
    async rigWithSelfCheck(options: Parameters<typeof startRelayRig>[0] = {}) {
      const started = await rig(options);
      return { ...started, link: await selfCheck(started.relay.port) };
    },
  };
}

/**
 * A relay's `onOffline` that takes a checkout or checkin as the offline journal does when offline
 * circulation allows both (any other request is refused offline), noting each request's type in
 * `journaled`.
 */
export function journalingOffline(journaled: string[]): NonNullable<Sip2RelayServerOptions['onOffline']> {
  const policy = sip2RelayOfflineSchema.parse({ offlineOk: true, checkinOk: true, checkoutOk: true });
  return (request) => {
    journaled.push(request.type);
    const answer = offlineAcceptance(request, { policy, now: new Date(), institutionId: 'RIVERSIDE' });
    return answer ? { answer } : { refused: 'offline_not_allowed' };
  };
}

/** The answer a journal gives a checkin it took while the ILS was down (the relay tests' stand-in). */
export function journaledCheckin(request: Sip2Message<'checkin'>): RelayOfflineOutcome {
  return {
    answer: {
      type: 'checkinResponse',
      ok: true,
      resensitize: true,
      magneticMedia: 'unknown',
      alert: false,
      transactionDate: request.transactionDate,
      institutionId: request.institutionId,
      itemIdentifier: request.itemIdentifier,
      permanentLocation: '',
      screenMessage: ['Returned (offline)'],
    },
  };
}
