/**
 * The simulated printer's condition and what it answers from it: real-time
 * status bytes (DLE EOT n), GS r n, GS I n and Automatic Status Back.
 */
import { encodeStatusByte, NORMAL_STATUS, type PrinterStatus } from '../../src/protocols/escpos/status.js';

export interface PrinterCondition {
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  offline: boolean;
}

export const NORMAL_CONDITION: Readonly<PrinterCondition> = Object.freeze({
  coverOpen: false,
  paperOut: false,
  paperNearEnd: false,
  offline: false,
});

/** A printer with its cover open or out of paper goes offline and stops printing. */
export function canPrint(condition: PrinterCondition): boolean {
  return !condition.coverOpen && !condition.paperOut && !condition.offline;
}

export function statusOf(condition: PrinterCondition): PrinterStatus {
  const stopped = !canPrint(condition);
  return {
    ...NORMAL_STATUS,
    offline: stopped,
    waitingForRecovery: false,
    coverOpen: condition.coverOpen,
    stoppedByPaperEnd: condition.paperOut,
    paperNearEnd: condition.paperNearEnd || condition.paperOut,
    paperOut: condition.paperOut,
  };
}

export { encodeStatusByte };

/** GS r n: 1 = paper sensors, 2 = drawer kick-out connector. */
export function transmitStatusByte(n: number, condition: PrinterCondition): number | undefined {
  if (n === 1)
    return (condition.paperNearEnd || condition.paperOut ? 0x03 : 0) | (condition.paperOut ? 0x0c : 0);
  if (n === 2) return 0x00;
  return undefined;
}

const PRINTER_INFO: Record<number, string> = {
  65: '1.00 ESC/POS',
  66: 'CARREL',
  67: 'TM-SIM',
  68: 'SIM00001',
};

/** GS I n: one byte for n 1–3 (and 49–51), a `_ … NUL` block for n 65–68. */
export function printerIdReply(n: number): Uint8Array | undefined {
  const id = n >= 49 && n <= 51 ? n - 48 : n;
  if (id === 1) return Uint8Array.of(0x20);
  if (id === 2) return Uint8Array.of(0x02);
  if (id === 3) return Uint8Array.of(0x00);
  const info = PRINTER_INFO[n];
  return info === undefined ? undefined : Uint8Array.from([0x5f, ...Buffer.from(info, 'latin1'), 0x00]);
}

/** The four Automatic Status Back bytes (GS a n), from Epson's TM layout. */
export function automaticStatusBack(condition: PrinterCondition): Uint8Array {
  const stopped = !canPrint(condition);
  const first = 0x10 | (stopped ? 0x08 : 0) | (condition.coverOpen ? 0x20 : 0);
  const third = (condition.paperNearEnd || condition.paperOut ? 0x03 : 0) | (condition.paperOut ? 0x0c : 0);
  return Uint8Array.of(first, 0x00, third, 0x00);
}
