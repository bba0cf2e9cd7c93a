/**
 * `carrel sip2 login` and `carrel sip2 status` on one connection of their own,
 * not through the pool: the pool's connect() logs in (93) and asks the status
 * (99) by itself, so through it each command would send its message twice.
 * Here `login` opens the link without logging in and sends the one 93; `status`
 * opens it (logging in when a user is given, as a self-check would) and sends
 * the one 99. With --per-transaction the session is ended (35) before closing,
 * as the gateway does.
 */
import { systemClock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import {
  createIlsTransport,
  type IlsConfig,
  IlsConnection,
  type Sip2Exchange,
  type Sip2FrameListener,
} from '../../devices/ils/index.js';
import { Sip2RequestBuilder } from '../../devices/ils/requests.js';

export type Sip2SessionCommand = 'login' | 'status';

export function isSip2SessionCommand(name: string): name is Sip2SessionCommand {
  return name === 'login' || name === 'status';
}

/** Opens one connection, sends the command's one request, and closes; resolves with its answer. */
export async function runSip2SessionCommand(
  command: Sip2SessionCommand,
  config: IlsConfig,
  onFrame?: Sip2FrameListener,
): Promise<Sip2Exchange> {
  const clock = systemClock;
  const requests = new Sip2RequestBuilder(config, () => new Date(clock.now()));
  const { user, password } = config;
  if (command === 'login' && user === undefined) {
    throw new CarrelError('ils_no_user', 'no SIP2 login user configured');
  }
  const connection = new IlsConnection({
    transport: createIlsTransport(config, clock),
    // `login` sends its 93 itself: the link opens without one.
    settings: command === 'login' ? { ...config, user: undefined } : config,
    clock,
    logger: silentLogger(),
    ...(onFrame ? { onFrame } : {}),
  });
  try {
    await connection.open();
    const answer = await connection.send(
      command === 'login' ? requests.login(user!, password) : requests.scStatus(),
    );
    if (config.perTransaction) await connection.send(requests.endSession('')).catch(() => undefined);
    return answer;
  } finally {
    await connection.close();
  }
}
