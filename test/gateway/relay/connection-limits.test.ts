/**
 * Connections that never log in cannot lock the self-checks out of the relay:
 * over real TCP, from several source addresses (127.0.0.x stand in for other
 * machines). At a limit a new connection takes the place of the oldest one not
 * logged in, from the source with the most connections; a connection that does
 * not log in within loginTimeoutSeconds is closed; each source is logged once,
 * then counted.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { parseSip2RelayConfig, Sip2RelayServer } from '../../../src/gateway/relay/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import { until as poll } from '../../helpers/until.js';
import {
  TRANSCRIPT_DATE as D,
  KIOSK_ACCOUNT,
  KioskLink,
  SELF_CHECK_LOGIN as LOGIN,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const CHECKOUT = `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`;

/** Resolves when `condition` holds; fails after `ms` (a hang, not a slow answer). */
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  await poll(() => condition() || undefined, ms, `timed out waiting for ${what}`, 5);
}

/** Log lines about connections refused, closed to make room or closed for no login. */
function connectionLines(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => /refused|make room|too many|no login/i.test(line) && !/login refused/.test(line));
}

describe('SIP2 relay connection limits', () => {
  const { rig, kiosk, cleanups } = useRelayRigs();

  it('serves a self-check while 200 idle connections are held open, and logs the flood once', async () => {
    const capture = capturingLogger();
    const { relay } = await rig({ logger: capture.logger });
    const idle: KioskLink[] = [];
    cleanups.push(() => {
      for (const link of idle) link.close();
    });
    for (let i = 0; i < 200; i++) idle.push(await KioskLink.open(relay.port));
    await until(
      () => relay.connectionsAccepted + idle.filter((l) => l.closed).length >= 200,
      'the flood seen',
    );

    const selfCheck = await kiosk(relay.port);
    expect((await selfCheck.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    expect((await selfCheck.request(withErrorDetection(CHECKOUT, 1)))?.toString()).toMatch(/^121/);
    // Held: the default per-address limit, the self-check among them.
    expect(relay.connections).toBeLessThanOrEqual(16);
    expect(connectionLines(capture.text())).toHaveLength(1);
  });

  it('makes room from the source with the most connections, and per source first', async () => {
    const capture = capturingLogger();
    const { relay } = await rig({
      logger: capture.logger,
      relay: { maxConnections: 8, maxConnectionsPerAddress: 6 },
    });
    const open = async (address: string) => {
      const link = await KioskLink.open(relay.port, address);
      cleanups.push(() => link.close());
      return link;
    };
    const a: KioskLink[] = [];
    for (let i = 0; i < 6; i++) a.push(await open('127.0.0.2'));
    await until(() => relay.connections === 6, 'six from A');
    // A seventh from A: A's oldest makes room (its per-address limit).
    a.push(await open('127.0.0.2'));
    await until(() => a[0]!.closed, "A's oldest closed");
    expect(relay.connections).toBe(6);
    // B logs in on two links: full.
    const b = [await open('127.0.0.3'), await open('127.0.0.3')];
    for (const [i, link] of b.entries())
      expect((await link.request(withErrorDetection(LOGIN, i)))?.toString()).toMatch(/^941/);
    expect(relay.connections).toBe(8);
    // C: the oldest link of A (the most connected) makes room, not B's.
    const c = await open('127.0.0.4');
    await until(() => a[1]!.closed, "A's next oldest closed");
    expect(a.slice(2).some((link) => link.closed)).toBe(false);
    expect((await c.request(withErrorDetection(LOGIN, 5)))?.toString()).toMatch(/^941/);
    for (const link of b)
      expect((await link.request(withErrorDetection('9900302.00', 6)))?.toString()).toMatch(/^98/);
    // One line for A (whose links were closed), one for nobody else.
    const lines = connectionLines(capture.text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('127.0.0.2');
  });

  it('closes a connection not logged in within loginTimeoutSeconds; logs one line per source per minute', async () => {
    const { client } = await rig();
    const clock = new ManualClock();
    const capture = capturingLogger();
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({ port: 0, accounts: [KIOSK_ACCOUNT], loginTimeoutSeconds: 10 }),
      ils: client.pool,
      logger: capture.logger,
      clock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const silent = await kiosk(relay.port);
    const statusOnly = await kiosk(relay.port);
    const other = await KioskLink.open(relay.port, '127.0.0.5');
    cleanups.push(() => other.close());
    const selfCheck = await kiosk(relay.port);
    // A 99 before login is answered but does not count as logging in.
    expect((await statusOnly.request(withErrorDetection('9900302.00', 0)))?.toString()).toMatch(/^98/);
    expect((await selfCheck.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    await until(() => relay.connections === 4, 'four connected');
    await clock.advance(9_999);
    expect(relay.connections).toBe(4);
    await clock.advance(1);
    expect(await silent.next()).toBeUndefined();
    expect(await statusOnly.next()).toBeUndefined();
    expect(await other.next()).toBeUndefined();
    expect(relay.connections).toBe(1);
    expect((await selfCheck.request(withErrorDetection(CHECKOUT, 1)))?.toString()).toMatch(/^12/);
    // 127.0.0.1: one line now, one with the count after the minute; 127.0.0.5: one line.
    let lines = connectionLines(capture.text());
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => line.includes('"127.0.0.1"'))).toHaveLength(1);
    await clock.advance(60_000);
    lines = connectionLines(capture.text());
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/"source":"127\.0\.0\.1".*"loginTimeout":1/);
  });
});
