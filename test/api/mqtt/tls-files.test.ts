import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMqttTlsFiles } from '../../../src/api/mqtt/tls-files.js';

describe('the MQTT TLS files a desk names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are read as mqtt.js takes them, only those named', async () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    writeFileSync(join(dir, 'desk.pem'), 'CERT');
    writeFileSync(join(dir, 'desk.key'), 'KEY');
    expect(await readMqttTlsFiles({})).toEqual({});
    expect(await readMqttTlsFiles({ caFile: join(dir, 'ca.pem') })).toEqual({ ca: Buffer.from('CA') });
    expect(
      await readMqttTlsFiles({
        caFile: join(dir, 'ca.pem'),
        certFile: join(dir, 'desk.pem'),
        keyFile: join(dir, 'desk.key'),
      }),
    ).toEqual({ ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
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
