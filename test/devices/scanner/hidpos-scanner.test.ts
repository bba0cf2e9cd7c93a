import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { HidPosScanner, type ScanRead, type ScanRejection } from '../../../src/devices/scanner/index.js';
import { type HidReportSource, openHidDevice } from '../../../src/devices/transport/hid.js';
import { ACCESS_IS_LAYOUT, encodeHidPosReports } from '../../../src/protocols/scan/index.js';
import { until } from '../../helpers/until.js';

const ascii = (text: string) => new TextEncoder().encode(text);

/**
 * The one stand-in the issue allows: this kernel has no uhid, so a HID device cannot be made
 * here. It stands where node-hid's HIDAsync would (input reports as 'data', 'error' when
 * unplugged, close); CARREL_TEST_HIDRAW=/dev/hidrawN runs the last test on a real scanner.
 */
class StandInHid extends EventEmitter implements HidReportSource {
  closed = false;
  report(bytes: Uint8Array): void {
    this.emit('data', Buffer.from(bytes));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('HID POS scanner (usage page 0x8C)', () => {
  let scanner: HidPosScanner | undefined;
  afterEach(async () => scanner?.disconnect());

  async function start(device = new StandInHid(), options: { present?: boolean } = {}) {
    const reads: ScanRead[] = [];
    const rejected: ScanRejection[] = [];
    const lost: Error[] = [];
    scanner = new HidPosScanner({
      id: 'hidpos-1',
      clock: systemClock,
      device: { vendorId: 0x05e0, productId: 0x1200 },
      layout: ACCESS_IS_LAYOUT,
      maxLength: 4096,
      quietMs: 100,
      // node-hid's device list, standing in: the scanner is in it unless it is not plugged in.
      list: async () => (options.present === false ? [] : [{ vendorId: 0x05e0, productId: 0x1200 }]),
      open: async () => device,
    });
    scanner.on('event', (type, data) => {
      if (type === 'read') reads.push(data as unknown as ScanRead);
      if (type === 'rejected') rejected.push(data as unknown as ScanRejection);
    });
    scanner.on('disconnected', (error) => lost.push(error));
    await scanner.connect();
    return { device, reads, rejected, lost };
  }

  it('a one-report EAN-13 and a three-report QR code, each one read with its symbology', async () => {
    const { device, reads } = await start();
    for (const report of encodeHidPosReports(ascii('4006381333931'), ']E0')) device.report(report);
    const url = `https://example.org/${'x'.repeat(130)}`;
    for (const report of encodeHidPosReports(ascii(url), ']Q1')) device.report(report);
    expect(reads.map((r) => [r.source, r.value, r.symbology?.name])).toEqual([
      ['hidpos', '4006381333931', 'ean-upc'],
      ['hidpos', url, 'qr'],
    ]);
    expect(scanner!.condition().detail).toMatchObject({ source: 'hidpos', reads: 2 });
  });

  it('reports of other ids are ignored; control characters and cut-off codes are rejections', async () => {
    const { device, reads, rejected } = await start();
    device.report(Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0)); // a keyboard report of a combined device
    for (const report of encodeHidPosReports(ascii('31\u001b00001'), ']C0')) device.report(report);
    device.report(encodeHidPosReports(ascii('A'.repeat(100)), ']C0')[0]!); // first of two, then nothing
    await until(() => (rejected.length === 2 ? true : undefined));
    expect(rejected.map((r) => r.code)).toEqual(['scan_control_character', 'hidpos_incomplete']);
    expect(reads).toEqual([]);
  });

  it('unplugged mid-code: a rejection and a lost link; not plugged in: the connect fails', async () => {
    const { device, rejected, lost } = await start();
    device.report(encodeHidPosReports(ascii('B'.repeat(100)), ']C0')[0]!);
    device.emit('error', new Error('could not read from HID device'));
    expect(rejected.map((r) => r.code)).toEqual(['hidpos_incomplete']);
    expect(lost).toHaveLength(1);
    expect(device.closed).toBe(true);
    scanner = undefined;
    await expect(start(new StandInHid(), { present: false })).rejects.toMatchObject({
      code: 'hid_absent',
      message: 'hid://05e0:1200 is not plugged in',
    });
  });

  it.skipIf(!process.env.CARREL_TEST_HIDRAW)(
    'opens a real hidraw scanner named by CARREL_TEST_HIDRAW',
    async () => {
      const device = await openHidDevice({ path: process.env.CARREL_TEST_HIDRAW! });
      await device.close();
    },
  );
});
