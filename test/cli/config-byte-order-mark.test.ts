/**
 * A configuration file saved by a Windows editor (Notepad's "UTF-8", PowerShell's Out-File) starts
 * with a UTF-8 byte order mark, EF BB BF: a mark, not a character of the settings. Carrel reads the
 * settings after it, in a JSON file as in a YAML one — not "JSON syntax error: Unexpected token" on a
 * character IT cannot see. So does a file saved as UTF-16 with its mark (Notepad's "Unicode").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import { startCarrelDaemon, stopDaemon, writeDaemonConfig } from '../helpers/carrel-daemon.js';
import { tempFolders } from '../helpers/temp-folders.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const folder = tempFolders('carrel-config-bom-');

/** `carrel.json` in a fresh folder for a desk with MQTT off, saved with a byte order mark. */
function jsonWithMark(): { dir: string; configPath: string } {
  const dir = folder();
  const configPath = writeDaemonConfig(dir, 'desk-1', {});
  writeFileSync(configPath, Buffer.concat([BOM, readFileSync(configPath)]));
  return { dir, configPath };
}

describe('a configuration file saved with a byte order mark', () => {
  it('carrel config check finds a JSON one valid', async () => {
    const { dir, configPath } = jsonWithMark();
    const run = await runCarrel(['config', 'check', configPath], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok: 0 devices, 0 simulators\n');
    expect(run.code).toBe(0);
  });

  it('carrel config check finds a YAML one valid, CRLF line ends and all', async () => {
    const dir = folder();
    const configPath = join(dir, 'carrel.yaml');
    const text = 'version: 2\r\nsite: library\r\ngateway: desk-1\r\nmqtt:\r\n  mode: off\r\n';
    writeFileSync(configPath, Buffer.concat([BOM, Buffer.from(text)]));
    const run = await runCarrel(['config', 'check', configPath], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('carrel config check reads a YAML one saved as UTF-16 (Notepad\'s "Unicode")', async () => {
    const dir = folder();
    const configPath = join(dir, 'carrel.yaml');
    const text = '\uFEFFversion: 2\r\nsite: library\r\ngateway: desk-1\r\nmqtt:\r\n  mode: off\r\n';
    writeFileSync(configPath, Buffer.from(text, 'utf16le'));
    const run = await runCarrel(['config', 'check', configPath], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok: 0 devices, 0 simulators\n');
    expect(run.code).toBe(0);
  });

  it('carrel start runs the desk from a JSON one', async () => {
    const { configPath } = jsonWithMark();
    const daemon = await startCarrelDaemon(configPath);
    try {
      const health = await fetch(`${daemon.api}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await stopDaemon(daemon.child);
    }
  });
});
