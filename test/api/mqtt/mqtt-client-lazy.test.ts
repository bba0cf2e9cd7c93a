import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The mqtt client package (mqtt.js: ~10 MB of RSS, ~150 ms to load) is for
 * external brokers only. A fresh node process runs the build in dist/ (vitest's
 * own module graph would not tell: it loads mqtt for the observers) and reports
 * what it loaded; see mqtt-module-probe.ts (built into dist/test/) for the two witnesses used.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));
const probe = join(root, 'dist/test/api/mqtt/mqtt-module-probe.js');
const run = promisify(execFile);

interface ProbeReport {
  mode: string;
  imported: string[];
  required: string[];
  aedes: number;
  topicApi: number;
}

async function probeRun(mode: 'embedded' | 'off' | 'external'): Promise<ProbeReport> {
  const { stdout } = await run(process.execPath, [probe, mode], { cwd: root, timeout: 15_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeReport;
}

/** The probe runs dist/: a missing or stale build would test old code. */
function assertBuildIsFresh(): void {
  const pairs = [
    'src/app/mqtt-feature',
    'src/api/mqtt/mqtt-api',
    'src/api/mqtt/client-link',
    'src/api/mqtt/embedded-link',
    'src/api/mqtt/embedded-broker',
    'test/api/mqtt/mqtt-module-probe',
  ];
  for (const path of pairs) {
    const built = join(root, 'dist', `${path}.js`);
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      throw new Error(`${built} is missing: run \`npm run build\` first (\`npm test\` does)`);
    }
    if (statSync(join(root, `${path}.ts`)).mtimeMs > builtAt) {
      throw new Error(`${built} is older than its source: run \`npm run build\` first (\`npm test\` does)`);
    }
  }
}

describe('the mqtt client package', () => {
  beforeAll(() => assertBuildIsFresh());

  it('is never loaded when MqttFeature runs the embedded broker', async () => {
    const report = await probeRun('embedded');
    expect(report.aedes).toBeGreaterThan(0);
    expect(report.topicApi).toBe(1);
    expect(report.imported).toEqual([]);
    expect(report.required).toEqual([]);
  });

  it('is loaded by a client link, as for an external broker (the witnesses work)', async () => {
    const report = await probeRun('external');
    expect(report.imported.some((url) => url.endsWith('/node_modules/mqtt/build/index.js'))).toBe(true);
    expect(report.required.length).toBeGreaterThan(0);
  });
});

describe('a desk with MQTT off', () => {
  beforeAll(() => assertBuildIsFresh());

  // Most desks the tests start run without MQTT: each start would load aedes (~30 modules) for nothing.
  it('loads neither the embedded broker (aedes) nor the MQTT topic API, nor the mqtt client', async () => {
    const report = await probeRun('off');
    expect(report.aedes).toBe(0);
    expect(report.topicApi).toBe(0);
    expect(report.imported).toEqual([]);
    expect(report.required).toEqual([]);
  });
});
