import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding Carrel's package.json, from src/ (tests) or dist/ (built) alike. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) break;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist'))) break;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Carrel package root');
    dir = parent;
  }
  root = dir;
  return dir;
}
