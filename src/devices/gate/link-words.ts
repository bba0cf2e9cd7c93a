/**
 * What happened to a gate's links, in words for the desk's staff: a lost command link said of
 * the gate, not of the transport ("peer closed", an address), a notification connection open but
 * silent so far, and the span in which a gate not in ACK mode may have sent alarms that never came.
 */
import { TransportError } from '../../core/errors.js';
import { GateError } from './errors.js';

const LINK_CLOSED = new Set([
  'peer_closed',
  'econnreset',
  'epipe',
  'econnaborted',
  'transport_closed',
  'not_open',
]);
const UNREACHABLE = new Set([
  'etimedout',
  'connect_timeout',
  'ehostunreach',
  'enetunreach',
  'ehostdown',
  'enetdown',
]);

/**
 * A failure of the link to the gate's command port in words of the gate, for staff ("the gate
 * closed the connection…"), the transport's words (an address, "peer closed") kept as its cause;
 * any other error as it is.
 */
export function commandLinkInWords(error: unknown): unknown {
  if (!(error instanceof TransportError)) return error;
  const cause = { cause: error };
  if (LINK_CLOSED.has(error.code))
    return new GateError(
      'gate_link_closed',
      'the gate closed the connection to its command port (it may be restarting, or its network was cut); Carrel connects again',
      cause,
    );
  if (error.code === 'econnrefused')
    return new GateError(
      'gate_link_refused',
      "the gate refused the connection to its command port: it may be starting up, or the port in Carrel's configuration is not its command port",
      cause,
    );
  if (UNREACHABLE.has(error.code))
    return new GateError(
      'gate_unreachable',
      'the gate cannot be reached on the network: is it switched on, and its network cable plugged in?',
      cause,
    );
  return new GateError('gate_link_lost', `the link to the gate's command port failed (${error.code})`, cause);
}

/**
 * A gate whose notification connection is open and has carried nothing yet: it has dialled in (its
 * destination and Carrel's allow-list are right), and is online once its reader speaks. Where from
 * is the device's `detail.peer`, for IT; staff read no addresses.
 */
export const CONNECTED_SILENT_WORDS =
  'the gate has connected and sent nothing yet: Carrel waits for its first keep-alive or notification';

/** Between which times a gate's alarms may not have reached Carrel, in the desk's time. */
export function missedAlarmsWords(missed: { from: number; to: number }): string {
  return `alarms the gate raised between ${deskTime(missed.from, missed.to)} and ${deskTime(missed.to, missed.from)} may not have reached Carrel: its link to Carrel was cut meanwhile, and a gate not in ACK mode does not send an alarm again`;
}

/** A time of day on the desk's clock (local), with its day when the other time is on another day. */
function deskTime(at: number, other: number): string {
  const date = new Date(at);
  const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return day(date) === day(new Date(other)) ? time : `${day(date)} ${time}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
