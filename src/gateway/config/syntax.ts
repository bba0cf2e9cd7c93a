import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { ConfigIssue } from '../../core/config-issues.js';

let yaml: typeof Yaml | undefined;
/**
 * The YAML parser (~0.9 MB of heap) loads with the first YAML file read, not with a desk whose
 * config is JSON or built in; by require, since loading a config is synchronous (its node build
 * is CommonJS, the same module an import gives).
 */
function loadYaml(): typeof Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml;
}

export type ConfigFormat = 'yaml' | 'json';

export type SyntaxResult = { ok: true; raw: unknown } | { ok: false; issues: ConfigIssue[] };

/** `.json` files are JSON; everything else (`.yaml`, `.yml`, no extension) is YAML. */
export function configFormatFor(path: string): ConfigFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

function parseYaml(text: string): SyntaxResult {
  // uniqueKeys: a key written twice is an error, not a silent override.
  const { LineCounter, parseDocument } = loadYaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        const where = at.line > 0 ? ` at line ${at.line}, column ${at.col}` : '';
        return { path: '', message: `YAML syntax error${where}: ${firstLine(error.message)}` };
      }),
    };
  }
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    return { ok: true, raw: document.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    const reason = error instanceof Error ? firstLine(error.message) : String(error);
    return { ok: false, issues: [{ path: '', message: `YAML error: ${reason}` }] };
  }
}

function parseJson(text: string): SyntaxResult {
  try {
    return { ok: true, raw: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const reason = firstLine(message)
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    if (position) {
      const { line, column } = lineAndColumn(text, Number(position[1]));
      return {
        ok: false,
        issues: [{ path: '', message: `JSON syntax error at line ${line}, column ${column}: ${reason}` }],
      };
    }
    return { ok: false, issues: [{ path: '', message: `JSON syntax error: ${reason}` }] };
  }
}

/** Parses configuration text into plain data, reporting syntax errors with line and column. */
export function parseConfigSyntax(text: string, format: ConfigFormat): SyntaxResult {
  const result = format === 'json' ? parseJson(text) : parseYaml(text);
  if (!result.ok) return result;
  const { raw } = result;
  if (raw === null || raw === undefined) {
    return { ok: false, issues: [{ path: '', message: 'the file is empty; start it with `version: 2`' }] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        { path: '', message: 'the file must hold a mapping of settings (version, devices, …) at the top' },
      ],
    };
  }
  return result;
}
