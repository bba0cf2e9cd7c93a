export type * from '../contracts/sessions.js';
export { type SessionsConfig, sessionsSchema } from './config.js';
export { SessionError, type SessionErrorCode } from './errors.js';
export { SessionManager, type SessionManagerDeps } from './manager.js';
