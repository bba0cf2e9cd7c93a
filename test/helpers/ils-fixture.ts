/**
 * The sample library's ILS fixture with one more patron (Ada Lovelace, PIN 4242, a year's
 * registration), whose barcode is `barcode`: written to `folder` for an ILS simulator to load.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleFixturePath } from '../../simulators/ils/index.js';

export function sampleLibraryWithPatron(folder: string, barcode: string): string {
  const sample = readFileSync(sampleFixturePath(), 'utf8');
  const patron = `patrons:\n  - barcode: "${barcode}"\n    pin: "4242"\n    name: Ada Lovelace\n    homeBranch: MAIN\n    expires: "+365d"\n\n`;
  const fixture = sample.replace(/^patrons:\n/m, patron);
  if (fixture === sample) throw new Error('the sample library has no "patrons:" list to add the patron to');
  const path = join(folder, 'library-with-patron.yaml');
  writeFileSync(path, fixture);
  return path;
}
