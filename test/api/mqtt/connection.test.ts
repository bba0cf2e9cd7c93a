import { describe, expect, it } from 'vitest';
import { mqttBrokerUrlFor, mqttConnectionFor, redactBrokerUrl } from '../../../src/api/mqtt/connection.js';

describe('mqttConnectionFor', () => {
  it('is undefined when MQTT is off', () => {
    expect(mqttConnectionFor({ mode: 'off' })).toBeUndefined();
    expect(mqttBrokerUrlFor({ mode: 'off' })).toBeUndefined();
  });

  it('dials the embedded broker where it really listens, with the gateway credential, over MQTT 3.1.1', () => {
    const config = { mode: 'embedded' as const, host: '127.0.0.1', port: 0 };
    expect(
      mqttConnectionFor(
        config,
        { host: '127.0.0.1', port: 41883 },
        { username: 'carrel-gateway', password: 's' },
      ),
    ).toEqual({
      url: 'mqtt://127.0.0.1:41883',
      protocolVersion: 4,
      username: 'carrel-gateway',
      password: 's',
    });
    expect(mqttBrokerUrlFor({ mode: 'embedded', host: '0.0.0.0', port: 1883 })).toBe('mqtt://127.0.0.1:1883');
    expect(mqttBrokerUrlFor({ mode: 'embedded', host: '::1', port: 1883 })).toBe('mqtt://[::1]:1883');
  });

  it('passes an external broker through, over MQTT 5', () => {
    expect(
      mqttConnectionFor({
        mode: 'external',
        url: 'mqtts://broker.example:8883',
        username: 'desk',
        caFile: '/etc/ca.pem',
      }),
    ).toEqual({
      url: 'mqtts://broker.example:8883',
      protocolVersion: 5,
      username: 'desk',
      caFile: '/etc/ca.pem',
    });
  });

  it('carries the keep-alive the config sets (how soon the broker declares a dead desk offline)', () => {
    expect(
      mqttConnectionFor({ mode: 'external', url: 'mqtt://broker.example', keepaliveSeconds: 5 }),
    ).toMatchObject({ keepaliveSeconds: 5 });
    expect(mqttConnectionFor({ mode: 'external', url: 'mqtt://broker.example' })).not.toHaveProperty(
      'keepaliveSeconds',
    );
  });

  it('keeps credentials out of URLs shown in logs', () => {
    expect(redactBrokerUrl('mqtt://desk:hunter2@127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactBrokerUrl('not a url')).toBe('<unparseable broker URL>');
  });
});
