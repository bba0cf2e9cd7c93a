/**
 * `carrel doctor` on an ILS link whose TLS is set up wrong, as IT staff get it wrong: plain TCP to
 * the ILS's TLS port (which closes at the 93 and read as a wrong password), TLS to its plain port,
 * no CA file for its own CA's certificate, the wrong server name. Two ILS simulators over real
 * TCP, one of them TLS; each failure says which setting to change.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARREL_CLI, runCarrel } from '../helpers/carrel-cli.js';
import { hasOpenssl, makeTestCa } from '../helpers/tls-ca.js';

interface Check {
  name: string;
  status: string;
  detail: string;
  hint?: string;
}

/**
 * `carrel sim ils` on its own, on ports the system gives it (one found free beforehand may be taken
 * by another test's process first), resolved once it says where its SIP2 service listens.
 */
async function ilsSimulator(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [CARREL_CLI, 'sim', 'ils', '--port', '0', '--http-port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const sip2 = /SIP2\s+(?:tcp|tls):\/\/127\.0\.0\.1:(\d+)\n/.exec(out)?.[1];
      if (sip2) resolve(Number(sip2));
    });
    child.once('exit', (code) => reject(new Error(`carrel sim ils exited ${code}: ${out}`)));
  });
  return { child, port };
}

describe.skipIf(!hasOpenssl)('carrel doctor, on an ILS link with its TLS set up wrong', () => {
  let dir: string;
  let cert: { keyFile: string; certFile: string };
  let tlsIls: { child: ChildProcess; port: number };
  let plainIls: { child: ChildProcess; port: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-tls-'));
    // For localhost and 127.0.0.1, its own CA.
    cert = {
      certFile: makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1'),
      keyFile: join(dir, 'localhost.key'),
    };
    tlsIls = await ilsSimulator(['--tls-cert', cert.certFile, '--tls-key', cert.keyFile]);
    plainIls = await ilsSimulator([]);
  }, 60_000);

  afterAll(async () => {
    for (const ils of [tlsIls, plainIls]) {
      if (ils && ils.child.exitCode === null) {
        ils.child.kill('SIGTERM');
        await once(ils.child, 'exit');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(name: string, transport: Record<string, unknown>): Promise<Map<string, Check>> {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: 2,
        // Port 0: doctor has no HTTP port to check or Carrel to ask there (what is checked is the ILS).
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'off' },
        storage: { path: join(dir, name, 'carrel.db') },
        devices: [
          {
            id: 'ils',
            kind: 'ils',
            user: 'kiosk1',
            password: 'kiosk1pw',
            location: 'MAIN',
            timeZone: 'Europe/Stockholm',
            transport,
          },
        ],
      }),
    );
    const run = await runCarrel(['doctor', '--config', file, '--json', '--timeout', '3'], { cwd: dir });
    const report = JSON.parse(run.stdout) as { checks: Check[] };
    return new Map(report.checks.map((check) => [check.name, check]));
  }

  it('passes TLS set up right (the CA file, the name in the certificate)', async () => {
    const checks = await doctor('right', {
      type: 'tls',
      host: '127.0.0.1',
      port: tlsIls.port,
      caFile: cert.certFile,
      serverName: 'localhost',
    });
    expect(checks.get('ILS ils login')).toMatchObject({ status: 'pass' });
  }, 30_000);

  it('plain TCP to the TLS port: says the port speaks TLS, not that the password may be wrong', async () => {
    const checks = await doctor('tcp-to-tls', { type: 'tcp', host: '127.0.0.1', port: tlsIls.port });
    const login = checks.get('ILS ils login')!;
    expect(login.status).toBe('fail');
    expect(login.detail).toMatch(/answers a TLS handshake/);
    expect(login.hint).toMatch(/^set devices\[ils\]\.transport\.type: tls/);
    expect(login.hint).not.toMatch(/password/);
    expect(checks.get('ILS ils status (98)')).toMatchObject({ status: 'skip' });
  }, 30_000);

  it('TLS to the plain port: says the port takes connections but no TLS, and to try type: tcp', async () => {
    const checks = await doctor('tls-to-tcp', {
      type: 'tls',
      host: '127.0.0.1',
      port: plainIls.port,
      caFile: cert.certFile,
    });
    const reachable = checks.get('ILS ils reachable')!;
    expect(reachable.status).toBe('fail');
    expect(reachable.hint).toMatch(/answers no TLS handshake: .*set devices\[ils\]\.transport\.type: tcp/);
  }, 30_000);

  it('the library’s own CA and no caFile: says to set caFile', async () => {
    const checks = await doctor('no-ca', { type: 'tls', host: '127.0.0.1', port: tlsIls.port });
    const reachable = checks.get('ILS ils reachable')!;
    expect(reachable.status).toBe('fail');
    expect(reachable.hint).toMatch(
      /not signed by a CA this machine trusts: set devices\[ils\]\.transport\.caFile/,
    );
  }, 30_000);

  it('a server name the certificate does not carry: says to set serverName', async () => {
    const checks = await doctor('wrong-name', {
      type: 'tls',
      host: '127.0.0.1',
      port: tlsIls.port,
      caFile: cert.certFile,
      serverName: 'ils.library.example',
    });
    const reachable = checks.get('ILS ils reachable')!;
    expect(reachable.status).toBe('fail');
    expect(reachable.detail).toMatch(/DNS:localhost/);
    expect(reachable.hint).toMatch(
      /not made out to ils\.library\.example: set devices\[ils\]\.transport\.serverName/,
    );
  }, 30_000);
});
