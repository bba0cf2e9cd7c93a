import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { HidPosScanner } from '../../../devices/scanner/index.js';
import type { DeviceSupervisor } from '../../devices/supervisor.js';

export interface HidPresenceOptions {
  id: string;
  driver: HidPosScanner;
  supervisor: DeviceSupervisor;
  clock: Clock;
  /** How often the HID device list is read. */
  pollMs: number;
}

/**
 * Hot-plug for a HID POS scanner: reads the system's HID device list on the clock. A
 * scanner that appears is connected at once (not at the supervisor's next backoff); one
 * that is gone while its link still looks up is dropped, so what it half sent is no value
 * and its health says it was unplugged. A list that cannot be read changes nothing: the
 * connect says why.
 */
export class HidPresenceWatch {
  private timer: TimerHandle | undefined;
  private polling = false;

  constructor(private readonly options: HidPresenceOptions) {}

  start(): void {
    this.timer ??= this.options.clock.setInterval(
      `hid-presence-${this.options.id}`,
      () => void this.poll(),
      this.options.pollMs,
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const present = await this.options.driver.present();
      if (this.timer === undefined) return;
      const { supervisor, driver } = this.options;
      if (present && !supervisor.isConnected) supervisor.retryNow();
      else if (!present && supervisor.isConnected) driver.unplugged();
    } catch {
      // node-hid missing or the list unreadable: the connect attempts report it.
    } finally {
      this.polling = false;
    }
  }
}
