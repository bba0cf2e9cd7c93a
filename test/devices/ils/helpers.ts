import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Clock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/core/logger.js';
import { IlsClient, type IlsClientOptions, type IlsConfigInput } from '../../../src/devices/ils/index.js';

/** A client of the scripted server on `port`, one connection, no heartbeat unless asked. */
export function clientFor(
  port: number,
  config: Partial<IlsConfigInput> = {},
  options: IlsClientOptions & { clock?: Clock } = {},
): IlsClient {
  return IlsClient.create(
    {
      host: '127.0.0.1',
      port,
      user: 'kiosk',
      password: 'secretpw',
      location: 'MAIN',
      institution: 'INST',
      terminalPassword: 'termpw',
      heartbeatSeconds: 0,
      pool: { size: 1, maxWaiting: 10 },
      ...config,
    },
    options,
  );
}

/** A debug logger whose lines are kept, to check what reaches the log. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), text: () => lines.join('') };
}
