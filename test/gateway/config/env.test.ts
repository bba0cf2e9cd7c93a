// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are literal ${env:NAME} references, not templates
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/core/errors.js';
import { substituteEnv } from '../../../src/gateway/config/env.js';

const fixture = (name: string) => new URL(`../../fixtures/config/${name}`, import.meta.url).pathname;

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('${env:NAME} substitution', () => {
  it('replaces whole values with environment variables', () => {
    const config = loadConfigFile(fixture('env.yaml'), {
      CARREL_KIOSK_TOKEN: 'k'.repeat(32),
      CARREL_MQTT_PASSWORD: 'hunter2-but-longer',
    });
    expect(config.auth.tokens[0]!.token).toBe('k'.repeat(32));
    expect(config.mqtt).toMatchObject({
      mode: 'external',
      username: 'desk-1',
      password: 'hunter2-but-longer',
    });
  });

  it('reports every unset variable at its path, once', () => {
    expect(issuesOf(() => loadConfigFile(fixture('env.yaml'), {}))).toEqual([
      { path: 'auth.tokens[0].token', message: 'environment variable CARREL_KIOSK_TOKEN is not set' },
      { path: 'mqtt.password', message: 'environment variable CARREL_MQTT_PASSWORD is not set' },
    ]);
  });

  it('validates the substituted value without repeating the secret', () => {
    const issues = issuesOf(() =>
      loadConfigFile(fixture('env.yaml'), { CARREL_KIOSK_TOKEN: 'short-secret', CARREL_MQTT_PASSWORD: 'x' }),
    );
    expect(issues).toEqual([{ path: 'auth.tokens[0].token', message: 'must be at least 16 characters' }]);
    expect(JSON.stringify(issues)).not.toContain('short-secret');
  });

  it('leaves other strings alone and rejects a reference inside a longer value', () => {
    const result = substituteEnv(
      { a: 'plain $HOME text', b: ['${env:X}', 'mqtt://${env:X}@host'], c: 3, d: null },
      { X: 'ex' },
    );
    expect(result.value).toEqual({ a: 'plain $HOME text', b: ['ex', 'mqtt://${env:X}@host'], c: 3, d: null });
    expect(result.issues).toEqual([
      {
        path: 'b[1]',
        message:
          'an ${env:NAME} reference must be the whole value (e.g. password: ${env:CARREL_MQTT_PASSWORD})',
      },
    ]);
  });

  it('substitutes before validation, so a variable can hold a non-secret setting too', () => {
    const config = parseConfigText('version: 1\nsite: ${env:CARREL_SITE}\n', 'yaml', {
      CARREL_SITE: 'east-wing',
    });
    expect(config.site).toBe('east-wing');
  });
});
