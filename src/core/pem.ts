/**
 * What a PEM file named as a TLS setting must hold. Node takes a CA file that holds no certificate
 * (a private key named by mistake, a DER file, an empty file) without a word and then trusts no CA
 * at all, so the link fails later as a certificate it cannot verify — pointing IT at the server,
 * not at the file. Checked when the file is read, the mistake is named where it is.
 */

/** What a TLS setting's file is for. */
export type PemRole = 'ca' | 'cert' | 'key';

const CERTIFICATE = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?(?:ENCRYPTED )?PRIVATE KEY-----/;

/** What the file holds instead, for the message: a key, a certificate, or something else. */
function holds(text: string): string {
  if (PRIVATE_KEY.test(text)) return 'a private key';
  if (CERTIFICATE.test(text)) return 'a certificate';
  if (text.trim() === '') return 'nothing';
  return text.includes('-----BEGIN ') ? 'PEM of another kind' : 'no PEM text (a DER file?)';
}

/**
 * Why `content` cannot be the file of `role` (a CA or client certificate needs a PEM certificate,
 * a key a PEM private key), in words; undefined when it can.
 */
export function pemProblem(role: PemRole, content: string | Buffer): string | undefined {
  const text = typeof content === 'string' ? content : content.toString('latin1');
  if (role === 'key')
    return PRIVATE_KEY.test(text) ? undefined : `holds no PEM private key: it holds ${holds(text)}`;
  return CERTIFICATE.test(text) ? undefined : `holds no PEM certificate: it holds ${holds(text)}`;
}
