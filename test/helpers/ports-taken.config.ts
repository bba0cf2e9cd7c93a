/**
 * The test configuration with ports-taken.setup.ts in front of every file:
 * `npx vitest run --config test/helpers/ports-taken.config.ts <file>`.
 */
import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(base, { test: { setupFiles: ['test/helpers/ports-taken.setup.ts'] } });
