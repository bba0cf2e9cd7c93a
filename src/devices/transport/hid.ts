/**
 * USB HID devices through node-hid (hidraw on Linux), loaded on first use: the
 * only module that touches the binding. A device is a source of input reports;
 * tests and simulators stand in at this boundary (this kind of machine has no
 * uhid to make a virtual HID device), real hidraw when a test names one.
 */
import type { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';
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

/** One HID device as the system lists it (node-hid's device list). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
}

/** The HID devices plugged in now (node-hid's list; tests stand in here). */
export type HidLister = () => Promise<HidDeviceInfo[]>;

interface NodeHid {
  devicesAsync(): Promise<HidDeviceInfo[]>;
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

/** Lists the HID devices plugged in, with node-hid. Rejects `native_module_missing`. */
export const listHidDevices: HidLister = async () => {
  const hid = await loadNative<NodeHid>('node-hid', 'HID point-of-sale scanners');
  return hid.devicesAsync();
};

/**
 * The listed device the selector names: by its hidraw path, or by vendor and product id
 * (a scanner with several interfaces: the point-of-sale one, usage page 0x8C, first).
 */
export function findHid(selector: HidSelector, devices: readonly HidDeviceInfo[]): HidDeviceInfo | undefined {
  if ('path' in selector) {
    // A udev link (/dev/carrel/scanner-hidraw3) names the node the list names.
    let real = selector.path;
    try {
      real = realpathSync(selector.path);
    } catch {
      // Not there (unplugged): only the path itself can match.
    }
    return devices.find((device) => device.path === selector.path || device.path === real);
  }
  const matching = devices.filter(
    (device) => device.vendorId === selector.vendorId && device.productId === selector.productId,
  );
  return matching.find((device) => device.usagePage === HID_POS_USAGE_PAGE) ?? matching[0];
}

/** USB HID usage page of point-of-sale barcode scanners. */
export const HID_POS_USAGE_PAGE = 0x8c;
