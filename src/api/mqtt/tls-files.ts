import { readFile } from 'node:fs/promises';
import { describeError, TransportError } from '../../core/errors.js';
import { pemProblem } from '../../core/pem.js';

/** The PEM files a desk's MQTT settings name: the broker's CA, a client certificate and its key. */
export interface MqttTlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/**
 * Reads what `files` names, as mqtt.js takes it (`ca`, `cert`, `key`), for every client that dials
 * a broker with the desk's settings — the desk's own link, doctor, `carrel mqtt forget` — so none
 * of them reaches a broker asking for a client certificate without one. A file that cannot be read
 * — or holds no PEM certificate (CA, certificate) or PEM private key (key) — is a TransportError
 * `mqtt_<ca|cert|key>_unreadable` naming the setting and the file.
 */
export async function readMqttTlsFiles(
  files: MqttTlsFiles,
): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [setting, option] of [
    ['caFile', 'ca'],
    ['certFile', 'cert'],
    ['keyFile', 'key'],
  ] as const) {
    const file = files[setting];
    if (file === undefined) continue;
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (error) {
      throw new TransportError(
        `mqtt_${option}_unreadable`,
        `cannot read the MQTT ${setting} ${file}: ${describeError(error).message}`,
      );
    }
    const problem = pemProblem(option, content);
    if (problem !== undefined)
      throw new TransportError(`mqtt_${option}_unreadable`, `the MQTT ${setting} ${file} ${problem}`);
    read[option] = content;
  }
  return read;
}
