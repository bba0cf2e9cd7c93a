/** Security gates: FEIG gate readers in notification mode, and an RFID reader run as a gate. */
export { DEFAULT_GATE_COMMAND_TIMEOUTS, GateCommandLink, type GateCommandTimeouts } from './command-link.js';
export { GateError, type GateErrorCode } from './errors.js';
export * from './events.js';
export { FeigGate, type FeigGateOptions, type NotificationLinkState } from './feig-gate.js';
export {
  NotificationListener,
  type NotificationListenerOptions,
  type NotificationRoute,
} from './notification-listener.js';
export { NOTIFICATION_MAX_FRAME, NotificationSession } from './notification-session.js';
export * from './presence.js';
export { ReaderGate, type ReaderGateOptions } from './reader-gate.js';
export { tagRead } from './tag-read.js';
