/**
 * `carrel doctor` for the ILS: on one connection of its own (not the pool, which
 * logs in and asks the status by itself), is the ILS reachable, is the 93 login
 * accepted, what does its 98 status say, and how far apart are its clock and
 * the desk's. The password is never shown.
 */
import { describeError, UNRESOLVED_NAME_CODES, unresolvedNameHint } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import { createIlsTransport, type IlsConfig, IlsConnection } from '../../../devices/ils/index.js';
import { Sip2RequestBuilder } from '../../../devices/ils/requests.js';
import { parseSip2Date, type Sip2DateZone } from '../../../protocols/sip2/date.js';
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
          await unreachableHint(config.id, link, error, context),
        ),
        doctorCheck(`${name} login`, 'skip', rest),
        doctorCheck(`${name} status (98)`, 'skip', rest),
        doctorCheck(`${name} clock skew`, 'skip', rest),
      ];
    }
    const loginCheck = await login(name, config.id, link, connection, requests);
    // A plain link to a TLS port: the ILS closes it at the 93, which reads as a wrong password.
    if (loginCheck.unanswered && !link.tls && (await speaksTls(link, context))) {
      const skip = `the ILS's port ${link.host}:${link.port} speaks TLS`;
      checks.push(
        doctorCheck(
          `${name} login`,
          'fail',
          `${loginCheck.detail}; ${link.host}:${link.port} answers a TLS handshake: the ILS expects SIP2 over TLS there`,
          `set devices[${config.id}].transport.type: tls (with caFile, the PEM file of the CA that signed the ILS's certificate, unless the system's CAs know it)`,
        ),
        doctorCheck(`${name} status (98)`, 'skip', skip),
        doctorCheck(`${name} clock skew`, 'skip', skip),
      );
      return checks;
    }
    checks.push(loginCheck.check);
    checks.push(...(await status(name, config.id, link, connection, requests, clock.now)));
    if (link.perTransaction) await connection.send(requests.endSession('')).catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
  return checks;
}

/** The 93 login's check; `unanswered` when the ILS gave no answer at all (closed, or silent). */
async function login(
  name: string,
  id: string,
  link: IlsConfig,
  connection: IlsConnection,
  requests: Sip2RequestBuilder,
): Promise<{ check: DoctorCheck; detail: string; unanswered: boolean }> {
  const answered = (check: DoctorCheck) => ({ check, detail: check.detail, unanswered: false });
  if (link.user === undefined) {
    return answered(
      doctorCheck(`${name} login`, 'skip', 'no SIP2 login (93) configured: the ILS is used without one'),
    );
  }
  try {
    const answer = await connection.send(requests.login(link.user, link.password));
    const ok = answer.message.type === 'loginResponse' && answer.message.ok === true;
    if (ok) return answered(doctorCheck(`${name} login`, 'pass', `93 login as "${link.user}" accepted`));
    return answered(
      doctorCheck(
        `${name} login`,
        'fail',
        `93 login as "${link.user}" refused (94 ok=0)`,
        `check devices[${id}].user, .password and .location against the ILS's SIP2 account (the password is not shown)`,
      ),
    );
  } catch (error) {
    const detail = `93 login as "${link.user}" not answered: ${(error as Error).message}`;
    return {
      check: doctorCheck(
        `${name} login`,
        'fail',
        detail,
        `check devices[${id}].user and .password; some ILSs close the connection on a wrong password`,
      ),
      detail,
      unanswered: true,
    };
  }
}

/** Certificate errors that mean: signed by a CA this desk does not trust (Node's codes, lower case). */
const UNTRUSTED_CERTIFICATE = new Set([
  'depth_zero_self_signed_cert',
  'self_signed_cert_in_chain',
  'unable_to_verify_leaf_signature',
  'unable_to_get_issuer_cert_locally',
  'unable_to_get_issuer_cert',
]);

/** What to do about an ILS the doctor could not reach, from how it failed. */
async function unreachableHint(
  id: string,
  link: IlsConfig,
  error: unknown,
  context: DoctorContext,
): Promise<string> {
  const { code } = describeError(error);
  const transport = `devices[${id}].transport`;
  if (UNRESOLVED_NAME_CODES.has(code)) return unresolvedNameHint(`${transport}.host`);
  if (link.tls) {
    if (UNTRUSTED_CERTIFICATE.has(code))
      return link.tls.caFile === undefined
        ? `the ILS's certificate is not signed by a CA this machine trusts: set ${transport}.caFile to the PEM file of the CA that signed it (ask the ILS administrators for it)`
        : `the ILS's certificate is not signed by the CA in ${link.tls.caFile}: set ${transport}.caFile to the PEM file of the CA that signed it (ask the ILS administrators for it)`;
    if (code === 'err_tls_cert_altname_invalid')
      return `the ILS's certificate is not made out to ${link.tls.serverName ?? link.host}: set ${transport}.serverName to a name it carries (listed above)`;
    if (code === 'cert_has_expired')
      return "the ILS's certificate has expired: the ILS administrators must renew it";
    if (code === 'tls_file')
      return `check the file named in ${transport} (path, and that the carrel user may read it)`;
    // No handshake: a port that takes plain TCP but says nothing to a ClientHello is plain SIP2.
    if (await takesPlainTcp(link, context))
      return `${link.host}:${link.port} takes connections but answers no TLS handshake: if the ILS's SIP2 port there is plain TCP, set ${transport}.type: tcp; otherwise ask the ILS administrators which port speaks TLS`;
  }
  return `check ${transport} (host, port${link.tls ? ', TLS files' : ''}), the firewall, and that the ILS's SIP2 server is running`;
}

/** Whether host:port completes a TLS handshake (its certificate not checked: only the protocol). */
async function speaksTls(link: IlsConfig, context: DoctorContext): Promise<boolean> {
  return opens(
    createIlsTransport(
      {
        ...link,
        tls: { rejectUnauthorized: false },
        connectTimeoutMs: Math.min(link.connectTimeoutMs, context.timeoutMs),
      },
      context.clock,
    ),
  );
}

/** Whether host:port takes a plain TCP connection. */
async function takesPlainTcp(link: IlsConfig, context: DoctorContext): Promise<boolean> {
  return opens(
    createIlsTransport(
      { ...link, tls: undefined, connectTimeoutMs: Math.min(link.connectTimeoutMs, context.timeoutMs) },
      context.clock,
    ),
  );
}

async function opens(transport: ReturnType<typeof createIlsTransport>): Promise<boolean> {
  try {
    await transport.open();
    return true;
  } catch {
    return false;
  } finally {
    await transport.close().catch(() => undefined);
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
  const detail = `ILS clock ${seconds === 0 ? 'agrees with the desk' : `is ${Math.abs(seconds)} s ${seconds > 0 ? 'ahead of' : 'behind'} the desk`} (${zoneInWords(parsed.zone, link)})`;
  const abs = Math.abs(skew);
  if (abs < CLOCK_SKEW_WARN_MS) return doctorCheck(`${name} clock skew`, 'pass', detail);
  const hint = `synchronise the clocks (timedatectl set-ntp true on the desk); if the hours differ, set devices[${id}].timeZone to the ILS's zone`;
  return doctorCheck(`${name} clock skew`, abs < CLOCK_SKEW_FAIL_MS ? 'warn' : 'fail', detail, hint);
}

/** The zone the ILS's 98 date was read in: UTC, its local time's, or the offset its zone letter gave. */
function zoneInWords(zone: Sip2DateZone, link: IlsConfig): string {
  if (zone === 'utc') return 'UTC';
  if (zone === 'local') return `zone ${link.timeZone ?? 'of this machine'}`;
  return `UTC${zone}`;
}

function yn(flag: boolean): string {
  return flag ? 'Y' : 'N';
}
