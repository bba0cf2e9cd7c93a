/**
 * HID point-of-sale scanners (USB HID usage page 0x8C, "HID Point of Sale
 * Usage Tables" 1.02): scanned-data input reports (usage 0x12). The layout is
 * the Access-IS / common one by default — 64 bytes: [0] report id 2, [1] data
 * length, [2..4] AIM symbology identifier, [5..60] data (≤ 56 bytes),
 * [63] bit 0 "more data follows" — and each field's place is configurable for
 * other vendors. A code longer than one report comes in several, joined here.
 */
import { ScanError } from './errors.js';

export const HID_POS_USAGE_PAGE = 0x8c;
export const HID_POS_SCANNED_DATA = 0x12;

export interface HidPosLayout {
  /** The scanned-data report's id (first byte). */
  reportId: number;
  /** Where the data length byte is. */
  lengthAt: number;
  /** Where the 3-byte AIM identifier is; null when the vendor sends none. */
  symbologyAt: number | null;
  /** Where the data starts, and how many bytes one report can hold. */
  dataAt: number;
  dataCapacity: number;
  /** The byte and bit mask of "more data follows". */
  moreAt: number;
  moreMask: number;
  /** Whole report size (without padding the OS may add). */
  size: number;
}

export const ACCESS_IS_LAYOUT: HidPosLayout = {
  reportId: 0x02,
  lengthAt: 1,
  symbologyAt: 2,
  dataAt: 5,
  dataCapacity: 56,
  moreAt: 63,
  moreMask: 0x01,
  size: 64,
};

export interface HidPosReport {
  /** The AIM identifier (`]E0`), when the layout has one and the scanner filled it. */
  aim?: string;
  data: Uint8Array;
  more: boolean;
}

/** Decodes one report. Throws `hidpos_bad_report`; a report of another id is `undefined` (not scanned data). */
export function decodeHidPosReport(
  report: Uint8Array,
  layout: HidPosLayout = ACCESS_IS_LAYOUT,
): HidPosReport | undefined {
  if (report.length === 0) throw new ScanError('hidpos_bad_report', 'an empty report');
  if (report[0] !== layout.reportId) return undefined;
  if (report.length < layout.size)
    throw new ScanError(
      'hidpos_bad_report',
      `a scanned-data report is ${layout.size} bytes, not ${report.length}`,
    );
  const length = report[layout.lengthAt]!;
  if (length > layout.dataCapacity)
    throw new ScanError(
      'hidpos_bad_report',
      `data length ${length} passes the report's ${layout.dataCapacity} bytes`,
    );
  const more = (report[layout.moreAt]! & layout.moreMask) !== 0;
  const data = report.slice(layout.dataAt, layout.dataAt + length);
  if (layout.symbologyAt === null) return { data, more };
  const aimBytes = report.subarray(layout.symbologyAt, layout.symbologyAt + 3);
  if (aimBytes[0] !== 0x5d) return { data, more };
  return { aim: String.fromCharCode(...aimBytes), data, more };
}

/** Builds reports for one code (simulators, tests): as many as its length needs, "more" on all but the last. */
export function encodeHidPosReports(
  data: Uint8Array,
  aim: string | undefined,
  layout: HidPosLayout = ACCESS_IS_LAYOUT,
): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (let at = 0; at < data.length || reports.length === 0; at += layout.dataCapacity) {
    const part = data.subarray(at, at + layout.dataCapacity);
    const report = new Uint8Array(layout.size);
    report[0] = layout.reportId;
    report[layout.lengthAt] = part.length;
    if (aim !== undefined && layout.symbologyAt !== null)
      for (let i = 0; i < 3; i++) report[layout.symbologyAt + i] = aim.charCodeAt(i);
    report.set(part, layout.dataAt);
    if (at + layout.dataCapacity < data.length) report[layout.moreAt]! |= layout.moreMask;
    reports.push(report);
  }
  return reports;
}

export type HidPosItem = { ok: true; aim?: string; data: Uint8Array } | { ok: false; error: ScanError };

/** Joins multi-report codes; a code over `maxLength` bytes is refused whole. */
export class HidPosAssembler {
  private parts: Uint8Array[] = [];
  private length = 0;
  private aim: string | undefined;
  private tooLong = false;

  constructor(
    private readonly layout: HidPosLayout,
    private readonly maxLength: number,
  ) {}

  get pending(): number {
    return this.parts.length;
  }

  push(report: Uint8Array): HidPosItem[] {
    let decoded: HidPosReport | undefined;
    try {
      decoded = decodeHidPosReport(report, this.layout);
    } catch (error) {
      if (!(error instanceof ScanError)) throw error;
      const dropped = this.parts.length > 0;
      this.clear();
      return [{ ok: false, error }, ...(dropped ? [] : [])];
    }
    if (decoded === undefined) return [];
    const items: HidPosItem[] = [];
    if (
      this.parts.length > 0 &&
      decoded.aim !== undefined &&
      this.aim !== undefined &&
      decoded.aim !== this.aim
    ) {
      items.push({
        ok: false,
        error: new ScanError('hidpos_incomplete', 'a multi-report code was cut off by another code'),
      });
      this.clear();
    }
    if (this.parts.length === 0) this.aim = decoded.aim;
    if (this.length + decoded.data.length > this.maxLength) this.tooLong = true;
    else {
      this.parts.push(decoded.data);
      this.length += decoded.data.length;
    }
    if (decoded.more) return items;
    if (this.tooLong)
      items.push({
        ok: false,
        error: new ScanError('scan_too_long', `a code passed ${this.maxLength} bytes`),
      });
    else {
      const data = new Uint8Array(this.length);
      let at = 0;
      for (const part of this.parts) {
        data.set(part, at);
        at += part.length;
      }
      items.push(this.aim === undefined ? { ok: true, data } : { ok: true, aim: this.aim, data });
    }
    this.clear();
    return items;
  }

  /** The scanner went away or quiet with a multi-report code half read: an error, never half a value. */
  flush(): HidPosItem[] {
    if (this.parts.length === 0 && !this.tooLong) return [];
    this.clear();
    return [
      {
        ok: false,
        error: new ScanError('hidpos_incomplete', 'a multi-report code never got its last report'),
      },
    ];
  }

  private clear(): void {
    this.parts = [];
    this.length = 0;
    this.aim = undefined;
    this.tooLong = false;
  }
}
