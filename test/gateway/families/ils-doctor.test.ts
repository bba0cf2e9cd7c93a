/**
 * The ILS family's doctor hook against the simulated ILS over TCP: reachable,
 * 93 login, 98 status and the clock skew between the ILS and the desk (the
 * desk's clock moved, the ILS's left alone), and an ILS that is not there.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import type { IlsSimulator } from '../../../simulators/ils/server.js';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DoctorCheck } from '../../../src/gateway/doctor.js';
import { ilsDeviceSchema, ilsLinks } from '../../../src/gateway/families/ils/index.js';

let sim: IlsSimulator;
beforeAll(async () => {
  sim = await startIlsSimulator({
    fixture: sampleFixturePath(),
    host: '127.0.0.1',
    port: 0,
    httpPort: 0,
    logger: silentLogger(),
  });
});
afterAll(() => sim.close());

/** The desk's clock, `offsetMs` away from the ILS's (the system clock). */
function deskClock(offsetMs: number): Clock {
  return { ...systemClock, now: () => systemClock.now() + offsetMs };
}

function device(port: number, login: Record<string, string> = { user: 'kiosk1', password: 'kiosk1pw' }) {
  return ilsDeviceSchema.parse({
    id: 'ils',
    kind: 'ils',
    transport: { type: 'tcp', host: '127.0.0.1', port },
    location: 'MAIN',
    institution: 'RIVERSIDE',
    timeZone: 'Europe/Stockholm',
    ...login,
  });
}

async function doctor(
  port: number,
  offsetMs = 0,
  login?: Record<string, string>,
): Promise<Record<string, DoctorCheck>> {
  const checks = await ilsLinks.doctor!(device(port, login), {
    clock: deskClock(offsetMs),
    simulators: () => {
      throw new Error('no simulators');
    },
    timeoutMs: 2000,
  });
  return Object.fromEntries(checks.map((check) => [check.name.replace(/^ILS ils /, ''), check]));
}

describe('the ILS doctor hook', () => {
  it('passes a healthy ILS: reachable, login accepted, 98 on-line, clocks together', async () => {
    const checks = await doctor(sim.port);
    expect(Object.keys(checks)).toEqual(['reachable', 'login', 'status (98)', 'clock skew']);
    for (const check of Object.values(checks)) expect(check.status, check.detail).toBe('pass');
    expect(checks['clock skew']!.detail).toMatch(/agrees|[01] s/);
    expect(JSON.stringify(checks)).not.toContain('kiosk1pw');
  });

  it('warns at two minutes of clock skew and fails at ten, saying which way', async () => {
    const behind = await doctor(sim.port, 2 * 60_000);
    expect(behind['clock skew']).toMatchObject({ status: 'warn' });
    expect(behind['clock skew']!.detail).toMatch(/ILS clock is (119|12[01]) s behind the desk/);
    expect(behind['clock skew']!.hint).toContain('timedatectl');
    const ahead = await doctor(sim.port, -10 * 60_000);
    expect(ahead['clock skew']).toMatchObject({ status: 'fail' });
    expect(ahead['clock skew']!.detail).toMatch(/ILS clock is (599|60[01]) s ahead of the desk/);
  });

  it('fails a refused login naming the user, never the password', async () => {
    const checks = await doctor(sim.port, 0, { user: 'kiosk1', password: 'not-kiosk1s-pw' });
    expect(checks.login).toMatchObject({ status: 'fail' });
    expect(checks.login!.detail).toContain('"kiosk1"');
    expect(JSON.stringify(checks)).not.toContain('not-kiosk1s-pw');
  });

  it('skips the login when none is configured, and still reads the 98', async () => {
    const checks = await doctor(sim.port, 0, {});
    expect(checks.login).toMatchObject({ status: 'skip' });
    expect(checks['status (98)']!.status).toBe('pass');
  });

  it('fails an ILS that is not listening and skips what depends on it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const checks = await doctor(port);
    expect(checks.reachable).toMatchObject({ status: 'fail' });
    expect(checks.reachable!.hint).toContain('devices[ils].transport');
    expect([checks.login!.status, checks['status (98)']!.status, checks['clock skew']!.status]).toEqual([
      'skip',
      'skip',
      'skip',
    ]);
  });
});
