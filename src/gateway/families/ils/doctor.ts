/**
 * `carrel doctor` for the ILS: on one connection of its own (not the pool, which
 * logs in and asks the status by itself), is the ILS reachable, is the 93 login
 * accepted, what does its 98 status say, and how far apart are its clock and
 * the desk's. The password is never shown.
 */
import { silentLogger } from '../../../core/logger.js';
import { createIlsTransport, type IlsConfig, IlsConnection } from '../../../devices/ils/index.js';
import { Sip2RequestBuilder } from '../../../devices/ils/requests.js';
import { parseSip2Date } from '../../../protocols/sip2/date.js';
import { type DoctorCheck, type DoctorContext, doctorCheck } from '../../doctor.js';
import type { IlsDeviceConfig } from './config.js';
import { ilsLinkConfig } from './entry.js';

/** A clock this far from the ILS's is worth a warning; twice as far, a failure (due dates, holds). */
export const CLOCK_SKEW_WARN_MS = 60_000;
export const CLOCK_SKEW_FAIL_MS = 300_000;

export async function ilsDoctor(config: IlsDeviceConfig, context: DoctorContext): Promise<DoctorCheck[]> {
  const name = `ILS ${config.id}`;
  let link: IlsConfig;
  try {
    link = ilsLinkConfig(config, context);
  } catch (error) {
    return [doctorCheck(`${name} reachable`, 'fail', (error as Error).message)];
  }
  const { clock } = context;
  const where = `${link.tls ? 'TLS' : 'TCP'} ${link.host}:${link.port}`;
  const requests = new Sip2RequestBuilder(link, () => new Date(clock.now()));
  const connection = new IlsConnection({
    transport: createIlsTransport(
      { ...link, connectTimeoutMs: Math.min(link.connectTimeoutMs, context.timeoutMs) },
      clock,
    ),
    // The 93 is sent below, on its own, so its answer is reported by itself.
    settings: { ...link, user: undefined },
    clock,
    logger: silentLogger(),
  });
  const checks: DoctorCheck[] = [];
  try {
    try {
      await connection.open();
      checks.push(doctorCheck(`${name} reachable`, 'pass', `SIP2 over ${where}`));
    } catch (error) {
      const rest = 'the ILS cannot be reached';
      return [
        doctorCheck(
          `${name} reachable`,
          'fail',
          `SIP2 over ${where}: ${(error as Error).message}`,
          `check devices[${config.id}].transport (host, port${link.tls ? ', TLS files' : ''}), the firewall, and that the ILS's SIP2 server is running`,
        ),
        doctorCheck(`${name} login`, 'skip', rest),
        doctorCheck(`${name} status (98)`, 'skip', rest),
        doctorCheck(`${name} clock skew`, 'skip', rest),
      ];
    }
    checks.push(await login(name, config.id, link, connection, requests));
    checks.push(...(await status(name, config.id, link, connection, requests, clock.now)));
    if (link.perTransaction) await connection.send(requests.endSession('')).catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
  return checks;
}

async function login(
  name: string,
  id: string,
  link: IlsConfig,
  connection: IlsConnection,
  requests: Sip2RequestBuilder,
): Promise<DoctorCheck> {
  if (link.user === undefined) {
    return doctorCheck(`${name} login`, 'skip', 'no SIP2 login (93) configured: the ILS is used without one');
  }
  try {
    const answer = await connection.send(requests.login(link.user, link.password));
    const ok = answer.message.type === 'loginResponse' && answer.message.ok === true;
    if (ok) return doctorCheck(`${name} login`, 'pass', `93 login as "${link.user}" accepted`);
    return doctorCheck(
      `${name} login`,
      'fail',
      `93 login as "${link.user}" refused (94 ok=0)`,
      `check devices[${id}].user, .password and .location against the ILS's SIP2 account (the password is not shown)`,
    );
  } catch (error) {
    return doctorCheck(
      `${name} login`,
      'fail',
      `93 login as "${link.user}" not answered: ${(error as Error).message}`,
      `check devices[${id}].user and .password; some ILSs close the connection on a wrong password`,
    );
  }
}

async function status(
  name: string,
  id: string,
  link: IlsConfig,
  connection: IlsConnection,
  requests: Sip2RequestBuilder,
  now: () => number,
): Promise<DoctorCheck[]> {
  let answer: Awaited<ReturnType<IlsConnection['send']>>;
  const sentAt = now();
  try {
    answer = await connection.send(requests.scStatus());
  } catch (error) {
    const detail = `99 status not answered: ${(error as Error).message}`;
    return [
      doctorCheck(
        `${name} status (98)`,
        'fail',
        detail,
        'the ILS accepted the connection but not the SIP2 status request',
      ),
      doctorCheck(`${name} clock skew`, 'skip', 'no 98 status to read the ILS clock from'),
    ];
  }
  const receivedAt = now();
  const message = answer.message;
  if (message.type !== 'acsStatus') {
    return [
      doctorCheck(`${name} status (98)`, 'fail', `99 answered with ${message.type}`),
      doctorCheck(`${name} clock skew`, 'skip', 'no 98 status to read the ILS clock from'),
    ];
  }
  const flags = `online ${yn(message.onlineStatus)}, checkout ${yn(message.checkoutOk)}, checkin ${yn(message.checkinOk)}, renewal ${yn(message.acsRenewalPolicy)}, offline ${yn(message.offlineOk)}, SIP ${message.protocolVersion.trim()}`;
  const statusCheck = !message.onlineStatus
    ? doctorCheck(
        `${name} status (98)`,
        'fail',
        flags,
        'the ILS reports itself off-line: ask the ILS administrators; Carrel takes offline work only as its offline policy allows',
      )
    : !message.checkoutOk || !message.checkinOk
      ? doctorCheck(
          `${name} status (98)`,
          'warn',
          flags,
          `the SIP2 account of devices[${id}] may not check out or in: ask the ILS administrators to allow it`,
        )
      : doctorCheck(`${name} status (98)`, 'pass', flags);
  return [statusCheck, clockSkew(name, id, link, message.dateTimeSync, (sentAt + receivedAt) / 2)];
}

function clockSkew(name: string, id: string, link: IlsConfig, text: string, deskMs: number): DoctorCheck {
  const parsed = parseSip2Date(text, { timeZone: link.timeZone });
  if (!parsed.ok) {
    return doctorCheck(
      `${name} clock skew`,
      'warn',
      `the 98's date/time "${text}" cannot be read: ${parsed.warning}`,
    );
  }
  const skew = parsed.date.getTime() - deskMs;
  const seconds = Math.round(skew / 1000);
  const detail = `ILS clock ${seconds === 0 ? 'agrees with the desk' : `is ${Math.abs(seconds)} s ${seconds > 0 ? 'ahead of' : 'behind'} the desk`} (${parsed.zone === 'utc' ? 'UTC' : `zone ${link.timeZone ?? 'of this machine'}`})`;
  const abs = Math.abs(skew);
  if (abs < CLOCK_SKEW_WARN_MS) return doctorCheck(`${name} clock skew`, 'pass', detail);
  const hint = `synchronise the clocks (timedatectl set-ntp true on the desk); if the hours differ, set devices[${id}].timeZone to the ILS's zone`;
  return doctorCheck(`${name} clock skew`, abs < CLOCK_SKEW_FAIL_MS ? 'warn' : 'fail', detail, hint);
}

function yn(flag: boolean): string {
  return flag ? 'Y' : 'N';
}
