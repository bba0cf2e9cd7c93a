import { readFileSync } from 'node:fs';
import { packageRoot } from '../core/paths.js';

let cached: string | undefined;

/** The version in package.json. */
export function carrelVersion(): string {
  cached ??= (JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string })
    .version;
  return cached;
}
