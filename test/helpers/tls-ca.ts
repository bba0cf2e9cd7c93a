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
 * A certificate `<name>.pem` and its key in `dir`, signed by the CA `<ca>.pem`/`<ca>.key` there,
 * valid one day: a server's made out for `altNames` ("DNS:localhost,IP:127.0.0.1"), or with
 * `client` a client's (`/CN=<client>`, extendedKeyUsage clientAuth).
 */
export function makeSignedCertificate(
  dir: string,
  ca: string,
  name: string,
  altNames: string,
  client?: string,
): { cert: string; key: string } {
  const extension = client === undefined ? `subjectAltName=${altNames}` : 'extendedKeyUsage=clientAuth';
  writeFileSync(join(dir, `${name}.ext`), `${extension}\n`);
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
    client === undefined ? '/CN=broker' : `/CN=${client}`,
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
