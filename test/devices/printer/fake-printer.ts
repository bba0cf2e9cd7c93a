import type { MockTransport } from '../../../src/devices/transport/mock.js';
import {
  encodeProcessIdResponse,
  encodeStatusByte,
  NORMAL_STATUS,
  type PrinterStatus,
  statusKindOf,
} from '../../../src/protocols/escpos/status.js';

/**
 * A tiny ESC/POS printer behind a MockTransport: answers DLE EOT from `status`,
 * and answers GS ( H process-ID requests at once, or, while the paper is out,
 * when paper comes back (as a real printer does).
 */
export class FakePrinter {
  status: PrinterStatus = { ...NORMAL_STATUS };
  /** Stop answering anything (a hung printer). */
  silent = false;
  /** Hold process-ID answers back until `release()`. */
  holdConfirmations = false;
  /** Bytes received that are not status or process-ID requests: what it printed. */
  readonly printed: Buffer[] = [];
  private readonly held: string[] = [];

  constructor(private readonly transport: MockTransport) {
    transport.onWrite = (data) => this.receive(data);
  }

  setStatus(change: Partial<PrinterStatus>): void {
    this.status = { ...this.status, ...change };
    if (!this.status.paperOut && !this.holdConfirmations) this.release();
  }

  /** Sends the held process-ID answers. */
  release(): void {
    for (const id of this.held.splice(0)) this.transport.inject(encodeProcessIdResponse(id));
  }

  private receive(data: Buffer): void {
    let text: number[] = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0x10 && data[i + 1] === 0x04) {
        const kind = statusKindOf(data[i + 2] ?? 0);
        i += 2;
        if (kind && !this.silent) this.transport.inject(Uint8Array.of(encodeStatusByte(kind, this.status)));
        continue;
      }
      if (data[i] === 0x1d && data[i + 1] === 0x28 && data[i + 2] === 0x48) {
        const id = data.subarray(i + 7, i + 11).toString('latin1');
        i += 10;
        if (text.length > 0) this.printed.push(Buffer.from(text));
        text = [];
        if (this.silent) continue;
        if (this.status.paperOut || this.holdConfirmations) this.held.push(id);
        else this.transport.inject(encodeProcessIdResponse(id));
        continue;
      }
      text.push(data[i]!);
    }
    if (text.length > 0) this.printed.push(Buffer.from(text));
  }
}
