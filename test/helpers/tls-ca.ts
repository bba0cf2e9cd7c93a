import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** A CA of its own, made with openssl in `dir`: `<name>.pem` (returned) and `<name>.key`, valid one day. */
export function makeTestCa(dir: string, name: string): string {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
  return join(dir, `${name}.pem`);
}

/**
 * A server certificate `<name>.pem` and its key in `dir`, signed by the CA `<ca>.pem`/`<ca>.key`
 * there, made out for `altNames` ("DNS:localhost,IP:127.0.0.1"), valid one day.
 */
export function makeSignedCertificate(
  dir: string,
  ca: string,
  name: string,
  altNames: string,
): { cert: string; key: string } {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`);
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    '/CN=broker',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}
