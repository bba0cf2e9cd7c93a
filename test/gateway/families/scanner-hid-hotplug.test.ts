import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { HidPosScanner, type ScanRead, type ScanRejection } from '../../../src/devices/scanner/index.js';
import type { HidDeviceInfo, HidReportSource, HidSelector } from '../../../src/devices/transport/hid.js';
import { DeviceSupervisor } from '../../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { HidPresenceWatch } from '../../../src/gateway/families/scanner/hid-presence.js';
import { ACCESS_IS_LAYOUT, encodeHidPosReports } from '../../../src/protocols/scan/index.js';

const ascii = (text: string) => new TextEncoder().encode(text);

/**
 * The one stand-in the issue allows (this kernel has no uhid): node-hid's device list and an
 * open device, as the HID POS driver sees them. Plugging in puts the scanner in the list;
 * unplugging takes it out, and the open device errors as hidraw does — or, `quietly`, does not.
 */
class StandInHidBus {
  readonly devices: HidDeviceInfo[] = [];
  open: StandInHid | undefined;
  readonly opened: HidSelector[] = [];
  lists = 0;

  plug(): void {
    this.devices.push(
      { vendorId: 0x05e0, productId: 0x1200, path: '/dev/hidraw6', usagePage: 0x01 }, // its keyboard interface
      { vendorId: 0x05e0, productId: 0x1200, path: '/dev/hidraw7', usagePage: 0x8c, product: 'Scanner' },
    );
  }

  unplug({ quietly = false } = {}): void {
    this.devices.length = 0;
    if (!quietly) this.open?.emit('error', new Error('could not read from HID device'));
  }
}

class StandInHid extends EventEmitter implements HidReportSource {
  closed = false;
  report(bytes: Uint8Array): void {
    this.emit('data', Buffer.from(bytes));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('HID POS hot-plug with health', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  async function start() {
    const clock = new ManualClock();
    const hid = new StandInHidBus();
    const reads: ScanRead[] = [];
    const rejected: ScanRejection[] = [];
    const driver = new HidPosScanner({
      id: 'hidpos-1',
      clock,
      device: { vendorId: 0x05e0, productId: 0x1200 },
      layout: ACCESS_IS_LAYOUT,
      maxLength: 4096,
      quietMs: 100,
      list: async () => {
        hid.lists++;
        return [...hid.devices];
      },
      open: async (selector) => {
        if (!hid.devices.some((d) => 'path' in selector && d.path === selector.path))
          throw new Error('no such device');
        hid.opened.push(selector);
        hid.open = new StandInHid();
        return hid.open;
      },
    });
    driver.on('event', (type, data) => {
      if (type === 'read') reads.push(data as unknown as ScanRead);
      if (type === 'rejected') rejected.push(data as unknown as ScanRejection);
    });
    // A backoff far longer than the poll: coming back is the poll's doing.
    const supervisor = new DeviceSupervisor({
      driver,
      eventFamily: undefined,
      clock,
      bus: new EventBus(() => {}),
      logger: silentLogger(),
      backoff: { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0 },
    });
    const watch = new HidPresenceWatch({ id: 'hidpos-1', driver, supervisor, clock, pollMs: 1000 });
    supervisor.start();
    watch.start();
    stop = async () => {
      watch.stop();
      await supervisor.stop();
    };
    await clock.advance(0);
    return { clock, hid, reads, rejected, supervisor, watch };
  }

  it('absent: offline saying so; plugged in: online at the next poll of the device list', async () => {
    const { clock, hid, supervisor } = await start();
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: 'hid://05e0:1200 is not plugged in',
      lastError: { code: 'hid_absent' },
    });
    await clock.advance(3000);
    expect(supervisor.state().status).toBe('offline');
    expect(hid.lists).toBeGreaterThanOrEqual(3); // polled on the clock, once a second

    hid.plug();
    await clock.advance(1000);
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
    // The point-of-sale interface, not the keyboard one the same ids also name.
    expect(hid.opened).toEqual([{ path: '/dev/hidraw7' }]);
  });

  it('unplugged mid-code: no half-scan, offline with the reason; plugged back: online, and scans read', async () => {
    const { clock, hid, reads, rejected, supervisor } = await start();
    hid.plug();
    await clock.advance(1000);
    expect(supervisor.state().status).toBe('online');

    hid.open!.report(encodeHidPosReports(ascii('C'.repeat(100)), ']C0')[0]!); // first of two reports
    hid.unplug();
    await clock.advance(0);
    expect(reads).toEqual([]);
    expect(rejected.map((r) => r.code)).toEqual(['hidpos_incomplete']);
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: expect.stringContaining('could not read'),
    });

    hid.plug();
    await clock.advance(1000);
    expect(supervisor.state()).toMatchObject({ status: 'online', reconnects: 1 });
    for (const report of encodeHidPosReports(ascii('31000006'), ']C0')) hid.open!.report(report);
    expect(reads.map((r) => r.value)).toEqual(['31000006']);
  });

  it('unplugged without a read error: the poll finds it gone, drops the link and the half-scan', async () => {
    const { clock, hid, reads, rejected, supervisor } = await start();
    hid.plug();
    await clock.advance(1000);
    const device = hid.open!;
    device.report(encodeHidPosReports(ascii('D'.repeat(100)), ']C0')[0]!);
    hid.unplug({ quietly: true });
    await clock.advance(1000);
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: 'hid://05e0:1200 was unplugged',
      lastError: { code: 'hid_unplugged' },
    });
    expect(device.closed).toBe(true);
    expect(rejected.map((r) => r.code)).toEqual(['hidpos_incomplete']);
    expect(reads).toEqual([]);
  });

  it('stopping ends the poll: no timer is left behind', async () => {
    const { clock } = await start();
    await stop!();
    stop = undefined;
    expect(clock.pending().filter((name) => name.includes('hidpos-1'))).toEqual([]);
  });
});
