import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CarrelError } from './errors.js';

let root: string | undefined;

/** The folder holding Carrel's package.json, found from this file whether it runs from src/ or dist/. */
export function packageRoot(): string {
  if (root) return root;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(directory, 'package.json'))) break;
    const parent = dirname(directory);
    if (parent === directory)
      throw new CarrelError('package_root_missing', `cannot find package.json above ${directory}`);
    directory = parent;
  }
  root = directory;
  return directory;
}
