import { CarrelError } from '../../core/errors.js';

export type GateErrorCode =
  /** The gate has no command port configured (alarm and counters need one). */
  | 'gate_no_command_link'
  /** Not connected: connect() first. */
  | 'gate_not_connected'
  /** Its command port sent no reply to several commands in a row: the link is taken as lost. */
  | 'gate_not_answering'
  /** The alarm read back differs from what was written. */
  | 'gate_alarm_not_verified'
  /** The counters read back after a reset are not zero. */
  | 'gate_counter_not_reset'
  /** Two gates configured with one notification source address. */
  | 'gate_address_taken'
  /** The gate closed (or reset) the connection to its command port. */
  | 'gate_link_closed'
  /** The gate refused a connection to its command port. */
  | 'gate_link_refused'
  /** The gate cannot be reached on the network (no route, no answer to connecting). */
  | 'gate_unreachable'
  /** The link to the gate's command port failed otherwise. */
  | 'gate_link_lost'
  /** The notification link of a gate not in ACK mode was down: alarms it sent meanwhile may be lost. */
  | 'gate_alarms_may_be_missed';

/** A gate operation that could not be done or not be verified. */
export class GateError extends CarrelError {
  constructor(code: GateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
