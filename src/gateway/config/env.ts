// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are literal ${env:NAME} references, not templates
import { type ConfigIssue, formatConfigPath } from '../../core/config-issues.js';

/** A whole value of the form `${env:NAME}`. */
const REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** Anything that looks like an attempt at a reference, for a clear error when it is malformed. */
const ATTEMPT = /\$\{env:/;

export interface EnvSubstitution {
  value: unknown;
  issues: ConfigIssue[];
}

/**
 * Replaces every string value of the exact form `${env:NAME}` with that environment
 * variable, so secrets (API tokens, MQTT and ILS passwords) stay out of the file.
 * An unset variable is an error at the value's path; so is a reference that is only
 * part of a value, which would otherwise be used literally.
 */
export function substituteEnv(raw: unknown, env: NodeJS.ProcessEnv): EnvSubstitution {
  const issues: ConfigIssue[] = [];

  const visit = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const match = REFERENCE.exec(value);
      if (match) {
        const name = match[1]!;
        const replacement = env[name];
        if (replacement === undefined) {
          issues.push({ path: formatConfigPath(path), message: `environment variable ${name} is not set` });
        }
        return replacement;
      }
      if (ATTEMPT.test(value)) {
        issues.push({
          path: formatConfigPath(path),
          message:
            'an ${env:NAME} reference must be the whole value (e.g. password: ${env:CARREL_MQTT_PASSWORD})',
        });
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = visit(item, [...path, key]);
      return out;
    }
    return value;
  };

  return { value: visit(raw, []), issues };
}
