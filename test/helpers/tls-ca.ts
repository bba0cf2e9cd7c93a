import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** True when Debian's openssl is there to make test certificates. */
export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/**
 * A self-signed certificate made with `openssl req -x509` in `dir`: `<name>.pem` (returned) and its
 * key `<name>.key`, `/CN=<name>`, valid one day. A CA of its own, to sign others with
 * makeSignedCertificate; given `altNames` ("DNS:localhost,IP:127.0.0.1") a server's certificate
 * that is its own CA too (a client trusts it by giving it as its CA file).
 */
export function makeTestCa(dir: string, name: string, altNames?: string): string {
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
    ...(altNames === undefined ? [] : ['-addext', `subjectAltName=${altNames}`]),
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
