/**
 * USB HID devices through node-hid (hidraw on Linux), loaded on first use: the
 * only module that touches the binding. A device is a source of input reports;
 * tests and simulators stand in at this boundary (this kind of machine has no
 * uhid to make a virtual HID device), real hidraw when a test names one.
 */
import type { EventEmitter } from 'node:events';
import { TransportError } from '../../core/errors.js';
import { loadNative } from '../../core/native.js';

/** Which device: a hidraw path (/dev/hidraw3, /dev/carrel/scanner-hidraw3), or USB vendor and product ids. */
export type HidSelector = { path: string } | { vendorId: number; productId: number };

/** An open HID device: its input reports (report id first), errors (unplugged), close. */
export interface HidReportSource extends EventEmitter {
  on(event: 'data', listener: (report: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  close(): Promise<void>;
}

export type HidOpener = (selector: HidSelector) => Promise<HidReportSource>;

interface NodeHid {
  HIDAsync: {
    open(path: string): Promise<HidReportSource>;
    open(vendorId: number, productId: number): Promise<HidReportSource>;
  };
}

export function describeHid(selector: HidSelector): string {
  return 'path' in selector
    ? `hid://${selector.path}`
    : `hid://${selector.vendorId.toString(16).padStart(4, '0')}:${selector.productId.toString(16).padStart(4, '0')}`;
}

/** Opens the device with node-hid. Rejects `native_module_missing`, or a TransportError when the device is not there. */
export const openHidDevice: HidOpener = async (selector) => {
  const hid = await loadNative<NodeHid>('node-hid', 'HID point-of-sale scanners');
  try {
    return 'path' in selector
      ? await hid.HIDAsync.open(selector.path)
      : await hid.HIDAsync.open(selector.vendorId, selector.productId);
  } catch (error) {
    throw new TransportError(
      'hid_not_found',
      `${describeHid(selector)}: ${(error as Error).message} (plugged in? hidraw access for Carrel's user: systemd/99-carrel.rules)`,
      { cause: error },
    );
  }
};
