/**
 * The simulated desk with its card printer `cards-1` reached over TCP through a StallingProxy, so a
 * test can stall or cut the link as a pulled cable does: the card printer simulator (an Evolis, or a
 * Magicard) on a port of the system's choosing, the device dialling the proxy, the desk started and
 * the printer waited online; `stop()` lets the link flow again and tears it all down.
 *
 * The device's `replyTimeoutMs` defaults to 3000: at 800 ms a status query answered late on a loaded
 * machine (CI, two busy cores) dropped the link between two tests, and the next issue failed
 * link_lost before its job went out. `linkBack()` resumes the proxy and waits for the printer online
 * again: a test that cut the link calls it (or the file's afterEach does) before the next test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { MagicardModel } from '../../simulators/card-printer/magicard-model.js';
import type { TokenConfig } from '../../src/api/http/auth.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { Logger } from '../../src/core/logger.js';
import type { EvolisCommand } from '../../src/protocols/evolis/index.js';
import { callApi } from './api-call.js';
import { cardDeskPage } from './card-desk-page.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from './desk.js';
import type { LoggedDeskPage } from './logged-desk-page.js';
import { StallingProxy } from './stalling-proxy.js';

export interface CardPrinterBehindProxy {
  /** The printer's make: the simulator's model and the device's driver. */
  make: 'evolis' | 'magicard';
  /** The device's printTimeoutMs (how long a card, or a link lost after it was sent, is waited for). */
  printTimeoutMs: number;
  /** The device's replyTimeoutMs; 3000 unless a test needs another. */
  replyTimeoutMs?: number;
}

export const CARD_PRINTER_REPLY_TIMEOUT_MS = 3000;

/** `config` with its card printer simulator on a free port and `cards-1` dialling `proxy`. */
export function cardPrinterBehindProxy(
  config: CarrelConfig,
  proxy: StallingProxy,
  { make, printTimeoutMs, replyTimeoutMs = CARD_PRINTER_REPLY_TIMEOUT_MS }: CardPrinterBehindProxy,
): CarrelConfig {
  return {
    ...config,
    simulators: config.simulators.map((simulator) =>
      simulator.id === 'card-printer-sim'
        ? { ...simulator, ...(make === 'magicard' ? { model: 'magicard' as const } : {}), port: 0 }
        : simulator,
    ),
    devices: config.devices.map((device) =>
      device.id === 'cards-1' && device.kind === 'card-printer'
        ? {
            ...device,
            ...(make === 'magicard' ? { driver: 'magicard' as const } : {}),
            printTimeoutMs,
            replyTimeoutMs,
            transport: { type: 'tcp' as const, host: '127.0.0.1', port: proxy.port, connectTimeoutMs: 1000 },
          }
        : device,
    ),
  };
}

/** Aims the proxy at the started desk's card printer simulator and waits for `cards-1` online. */
async function linkUp(testDesk: TestDesk, proxy: StallingProxy, token?: string): Promise<void> {
  proxy.pointAt(testDesk.desk.simulators.address('card-printer-sim').port);
  await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000, token);
}

/** The desk's card printer simulator, and its model as the make it plays. */
function simulatorOf(testDesk: TestDesk) {
  const handle = testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim');
  if (!handle) throw new Error('the desk has no card printer simulator "card-printer-sim"');
  return handle;
}

export interface CardDeskBehindProxy {
  testDesk: TestDesk;
  /** `http://127.0.0.1:PORT`, without /api/v1. */
  api: string;
  proxy: StallingProxy;
  sim(): ReturnType<typeof simulatorOf>;
  evolis(): EvolisModel;
  magicard(): MagicardModel;
  /** Lets the link flow again and waits (bounded) until `cards-1` is online. */
  linkBack(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the proxy and the desk (`tokens`: its API tokens, `token` the one that reads the printer's
 * health; `configure` changes the desk further) and waits for `cards-1` online through the proxy.
 */
export async function startCardDeskBehindProxy(
  options: CardPrinterBehindProxy & {
    tokens?: readonly TokenConfig[];
    token?: string;
    logger?: Logger;
    configure?: (config: CarrelConfig) => CarrelConfig;
  },
): Promise<CardDeskBehindProxy> {
  const proxy = await StallingProxy.start();
  let testDesk: TestDesk | undefined;
  try {
    testDesk = await startTestDesk((config) => {
      const behind = cardPrinterBehindProxy(config, proxy, options);
      const tokened = options.tokens ? withTokens(behind, options.tokens) : behind;
      return options.configure ? options.configure(tokened) : tokened;
    }, options.logger);
    await linkUp(testDesk, proxy, options.token);
  } catch (error) {
    await testDesk?.stop();
    await proxy.close();
    throw error;
  }
  const desk = testDesk;
  return {
    testDesk: desk,
    api: desk.api,
    proxy,
    sim: () => simulatorOf(desk),
    evolis: () => simulatorOf(desk).model as EvolisModel,
    magicard: () => simulatorOf(desk).model as MagicardModel,
    async linkBack(timeoutMs = 15_000) {
      proxy.resume();
      await waitForDevice(desk.api, 'cards-1', 'online', timeoutMs, options.token);
    },
    async stop() {
      proxy.resume();
      await desk.stop();
      await proxy.close();
    },
  };
}

/**
 * The desk behind its proxy for the tests of one file (the `describe` it is called in): started
 * before them (`desk()` once they run), the link given back after each test — a test that cut it
 * leaves the printer online again for the next —, all stopped after them. `call` is the desk's API
 * without a token (JSON in, status and JSON out).
 */
export function cardDeskBehindProxyForTests(options: Parameters<typeof startCardDeskBehindProxy>[0]) {
  let desk: CardDeskBehindProxy | undefined;
  const started = () => {
    if (!desk) throw new Error('the card desk behind its proxy has not started');
    return desk;
  };
  beforeAll(async () => {
    desk = await startCardDeskBehindProxy(options);
  }, 60_000);
  afterEach(() => started().linkBack(), 20_000);
  afterAll(() => desk?.stop());
  return {
    desk: started,
    call: (method: 'GET' | 'POST', path: string, body?: unknown) =>
      callApi(`${started().api}/api/v1`, method, path, body),
  };
}

/**
 * The card desk page in Debian's Chromium (cardDeskPage, its staff token CARD_STAFF) with its card
 * printer behind a proxy: `proxy()` once the `describe`'s hooks have run. Registers the hooks of the
 * `describe` it is called in.
 */
export function cardDeskPageBehindProxy(options: CardPrinterBehindProxy): {
  desk: LoggedDeskPage;
  proxy(): StallingProxy;
} {
  let proxy: StallingProxy | undefined;
  const started = () => {
    if (!proxy) throw new Error('the proxy has not started');
    return proxy;
  };
  beforeAll(async () => {
    proxy = await StallingProxy.start();
  });
  afterAll(async () => {
    proxy?.resume();
    await proxy?.close();
  });
  const desk = cardDeskPage((config) => cardPrinterBehindProxy(config, started(), options), {
    ready: (testDesk, token) => linkUp(testDesk, started(), token),
  });
  return { desk, proxy: started };
}

/**
 * Cuts the link as the next eject (`Se`) reaches the Evolis `printer`: `ejected` whether the printer
 * carried it out before the cable went (its `OK` lost) or never got it. The link stays down until
 * the proxy is resumed (`linkBack()`). Resolves once the link is cut: a test that lets it come back
 * after a while waits for that first, as on a loaded machine the job may reach its eject later than
 * any fixed delay (a resume before the cut would leave the link down for good).
 */
export function cutAtEvolisEject(printer: EvolisModel, proxy: StallingProxy, ejected = true): Promise<void> {
  return new Promise((resolve) => {
    const handle = printer.handle.bind(printer);
    printer.handle = (command: EvolisCommand) => {
      if (command.name !== 'Se') return handle(command);
      printer.handle = handle;
      const reply = ejected ? handle(command) : 'OK';
      proxy.stall();
      proxy.cut();
      resolve();
      return reply;
    };
  });
}
