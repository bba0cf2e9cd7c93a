/**
 * A configuration file that is not where IT said (a typo in --config, a unit file's CARREL_CONFIG
 * pointing at an old path): the built commands say they cannot read it, in one line — not that
 * the file "is not valid", nor that `carrel config check` would list its problems.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';

let dir: string;
let missing: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-config-missing-'));
  missing = join(dir, 'carrel.yml');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a --config file that is not there', () => {
  it.each(['start', 'backup', 'mqtt acl'])(
    'carrel %s says it cannot read it, in one line, exit 2',
    async (command) => {
      const run = await runCarrel([...command.split(' '), '--config', missing], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`carrel: cannot read ${missing}: no such file\n`);
    },
  );

  it('carrel doctor fails its config check saying it cannot read it, and to check the path given', async () => {
    const run = await runCarrel(['doctor', '--config', missing, '--json'], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(run.code).toBe(1);
    const config = (
      JSON.parse(run.stdout) as { checks: Array<{ name: string; detail: string; hint?: string }> }
    ).checks[0];
    expect(config).toEqual({
      name: 'config',
      status: 'fail',
      detail: `cannot read ${missing}: no such file`,
      hint: 'check the path given with --config (or in CARREL_CONFIG); nothing else can be checked until it is read',
    });
  });
});
