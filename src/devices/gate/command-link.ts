/**
 * Carrel's command link to a FEIG gate's own port (TCP 10001 on most readers): the alarm
 * loops on/off and the people counter. One operation at a time; each frame has a timeout;
 * a reader status other than OK becomes a FeigStatusError. Each command starts with nothing held
 * (ReaderLink lets go of a reply given up on, such as the start of a frame whose length came garbled).
 */
import type { Clock } from '../../core/clock.js';
import {
  cpuResetRequest,
  decodeConfigReply,
  decodeFeigReply,
  decodePeopleCounterReply,
  encodeFeigFrame,
  FEIG_BROADCAST_ADDRESS,
  type FeigFrame,
  FeigFrameError,
  FeigFrameParser,
  type FeigReply,
  GATE_ALARM_BLOCK,
  type GateAlarmState,
  gateAlarmState,
  type PeopleCounts,
  peopleCounterRequest,
  readConfigRequest,
  withGateAlarm,
  writeConfigRequest,
} from '../../protocols/feig/index.js';
import { ReaderLink } from '../rfid/reader-link.js';
import type { Transport } from '../transport/transport.js';
import { GateError } from './errors.js';

export interface GateCommandTimeouts {
  /** Configuration read/write and counters. Default 2000 ms. */
  command: number;
  /** CPU reset (the reader restarts its RF side before answering). Default 5000 ms. */
  reset: number;
}

export const DEFAULT_GATE_COMMAND_TIMEOUTS: GateCommandTimeouts = { command: 2000, reset: 5000 };

export class GateCommandLink {
  private readonly link: ReaderLink<FeigFrame>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly transport: Transport,
    clock: Clock,
    private readonly address = FEIG_BROADCAST_ADDRESS,
    private readonly timeouts: GateCommandTimeouts = DEFAULT_GATE_COMMAND_TIMEOUTS,
  ) {
    this.link = new ReaderLink(transport, clock, new FeigFrameParser());
  }

  /** Commands in a row the gate sent no reply to at all (any reply sets it back to 0, as does a new connection). */
  get unansweredInARow(): number {
    return this.link.unanswered;
  }

  /** Corrupt frames seen on this link. */
  get frameErrors(): number {
    return this.link.frameErrors;
  }

  /** The alarm as configured in block 9 (and the block, for a later write). */
  readAlarm(): Promise<GateAlarmState & { block: Uint8Array }> {
    return this.serial(() => this.readAlarmNow());
  }

  /**
   * Switches the alarm loops on or off: reads block 9, writes it back with the alarm byte
   * changed (every other byte kept), resets the CPU so the reader takes it, and reads it back.
   * Resolves with the state read back; rejects with `gate_alarm_not_verified` if it differs.
   */
  setAlarm(on: boolean, loops: number): Promise<GateAlarmState> {
    return this.serial(async () => {
      const { block } = await this.readAlarmNow();
      const wanted = withGateAlarm(block, on, loops);
      await this.command(
        writeConfigRequest([{ block: GATE_ALARM_BLOCK, data: wanted }], this.target()),
        'write alarm',
      );
      await this.command(cpuResetRequest(this.address), 'CPU reset', this.timeouts.reset);
      const after = await this.readAlarmNow();
      if (after.on !== on || after.block[1] !== wanted[1])
        throw new GateError(
          'gate_alarm_not_verified',
          `alarm should be ${on ? 'on' : 'off'}, the gate reads back ${after.on ? 'on' : 'off'}`,
        );
      return { on: after.on, loops: after.loops, active: after.active };
    });
  }

  readCounters(): Promise<PeopleCounts> {
    return this.serial(() => this.readCountersNow());
  }

  /** Sets both counters to zero and reads them back. */
  resetCounters(): Promise<PeopleCounts> {
    return this.serial(async () => {
      const reply = await this.command(
        peopleCounterRequest({ kind: 'reset' }, this.address),
        'reset counters',
      );
      const answer = decodePeopleCounterReply(reply.data);
      if (answer.kind !== 'reset' || answer.status !== 0)
        throw new FeigFrameError('feig_bad_reply', 'people counter did not confirm the reset');
      const counts = await this.readCountersNow();
      if (counts.in !== 0 || counts.out !== 0)
        throw new GateError(
          'gate_counter_not_reset',
          `counters read ${counts.in}/${counts.out} after a reset`,
        );
      return counts;
    });
  }

  private async readAlarmNow(): Promise<GateAlarmState & { block: Uint8Array }> {
    const reply = await this.command(readConfigRequest(GATE_ALARM_BLOCK, this.target()), 'read alarm');
    const block = decodeConfigReply(reply.data).find((b) => b.block === GATE_ALARM_BLOCK);
    if (!block) throw new FeigFrameError('feig_bad_reply', 'configuration reply without block 9');
    return { ...gateAlarmState(block.data), block: block.data };
  }

  private async readCountersNow(): Promise<PeopleCounts> {
    const reply = await this.command(peopleCounterRequest({ kind: 'read' }, this.address), 'read counters');
    const answer = decodePeopleCounterReply(reply.data);
    if (answer.kind !== 'counts') throw new FeigFrameError('feig_bad_reply', 'people counter sent no counts');
    return answer.counts;
  }

  private target() {
    return { address: this.address };
  }

  private async command(
    frame: FeigFrame,
    what: string,
    timeoutMs = this.timeouts.command,
  ): Promise<FeigReply> {
    const reply = await this.link.request(
      encodeFeigFrame(frame),
      (answer) => answer.command === frame.command,
      timeoutMs,
      `gate ${what}`,
    );
    return decodeFeigReply(reply);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }
}
