import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { IlsFixtureInput } from '../../../simulators/ils/fixture.js';
import { SAMPLE_FIXTURE } from './paths.js';

/** The sample library as written, for a test to change before it starts a simulator. */
export function sampleFixtureInput(): IlsFixtureInput {
  return parse(readFileSync(SAMPLE_FIXTURE, 'utf8')) as IlsFixtureInput;
}
