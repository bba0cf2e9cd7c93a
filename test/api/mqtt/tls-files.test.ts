import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMqttTlsFiles } from '../../../src/api/mqtt/tls-files.js';
import { tempFolders } from '../../helpers/temp-folders.js';

describe('the MQTT TLS files a desk names', () => {
  const newFolder = tempFolders('carrel-mqtt-tls-');
  let dir: string;
  beforeAll(() => {
    dir = newFolder();
  });

  // PEM as RFC 7468 frames it; what is between the lines is not read here (node:tls reads it).
  const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
  const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';

  it('are read as mqtt.js takes them, only those named', async () => {
    writeFileSync(join(dir, 'ca.pem'), CA);
    writeFileSync(join(dir, 'desk.pem'), CERT);
    writeFileSync(join(dir, 'desk.key'), KEY);
    expect(await readMqttTlsFiles({})).toEqual({});
    expect(await readMqttTlsFiles({ caFile: join(dir, 'ca.pem') })).toEqual({ ca: Buffer.from(CA) });
    expect(
      await readMqttTlsFiles({
        caFile: join(dir, 'ca.pem'),
        certFile: join(dir, 'desk.pem'),
        keyFile: join(dir, 'desk.key'),
      }),
    ).toEqual({ ca: Buffer.from(CA), cert: Buffer.from(CERT), key: Buffer.from(KEY) });
  });

  it('say so when a file holds the wrong thing: a key named as the CA, a certificate as the key, a DER file', async () => {
    writeFileSync(join(dir, 'desk.key'), KEY);
    writeFileSync(join(dir, 'desk.pem'), CERT);
    writeFileSync(join(dir, 'ca.der'), Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    await expect(readMqttTlsFiles({ caFile: join(dir, 'desk.key') })).rejects.toMatchObject({
      code: 'mqtt_ca_unreadable',
      message: `the MQTT caFile ${join(dir, 'desk.key')} holds no PEM certificate: it holds a private key`,
    });
    await expect(readMqttTlsFiles({ keyFile: join(dir, 'desk.pem') })).rejects.toMatchObject({
      code: 'mqtt_key_unreadable',
      message: `the MQTT keyFile ${join(dir, 'desk.pem')} holds no PEM private key: it holds a certificate`,
    });
    await expect(readMqttTlsFiles({ caFile: join(dir, 'ca.der') })).rejects.toMatchObject({
      code: 'mqtt_ca_unreadable',
      message: expect.stringContaining('holds no PEM certificate: it holds no PEM text (a DER file?)'),
    });
  });

  it('name the setting and the file that cannot be read', async () => {
    const missing = join(dir, 'gone.key');
    await expect(
      readMqttTlsFiles({ certFile: join(dir, 'desk.pem'), keyFile: missing }),
    ).rejects.toMatchObject({
      code: 'mqtt_key_unreadable',
      message: expect.stringMatching(new RegExp(`^cannot read the MQTT keyFile ${missing}: .*ENOENT`)),
    });
  });
});
