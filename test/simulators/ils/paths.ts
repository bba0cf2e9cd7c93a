import { fileURLToPath } from 'node:url';

export const SAMPLE_FIXTURE = fileURLToPath(
  new URL('../../../simulators/ils/fixtures/sample-library.yaml', import.meta.url),
);
export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/ils/', import.meta.url));
