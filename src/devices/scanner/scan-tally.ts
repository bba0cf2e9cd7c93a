import type { EventEmitter } from 'node:events';
import { isoTime } from '../../core/iso-time.js';
import type { DeviceCondition } from '../device.js';
import type { ScannerCounts, ScanRead, ScanRejection } from './types.js';

/**
 * What a scanner driver counts for its health record, and the `read` and `rejected`
 * events it tells with them: each is counted, then told, then the driver's
 * condition (which shows the counts) told again.
 */
export class ScanTally {
  private readonly tally: ScannerCounts = {
    reads: 0,
    rejected: 0,
    typing: 0,
    lastReadAt: null,
    lastRejected: null,
  };

  constructor(private readonly driver: EventEmitter & { condition(): DeviceCondition }) {}

  /** The counts as the health record shows them. */
  get counts(): Readonly<ScannerCounts> {
    return this.tally;
  }

  read(read: ScanRead): void {
    this.tally.reads++;
    this.tally.lastReadAt = isoTime(read.at);
    this.driver.emit('event', 'read', read);
    this.driver.emit('condition', this.driver.condition());
  }

  rejected(rejection: ScanRejection): void {
    this.tally.rejected++;
    this.tally.lastRejected = rejection.code;
    this.driver.emit('event', 'rejected', rejection);
    this.driver.emit('condition', this.driver.condition());
  }

  /** Keystrokes dropped as typing (a keyboard wedge). */
  typed(keys: number): void {
    this.tally.typing += keys;
  }
}
