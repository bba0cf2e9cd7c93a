/**
 * A card printer that numbers its cards with letters (a Code 39 prefix such as `RPL`) and writes
 * them on the magnetic stripe: the stripe is track 2, digits only (ISO 7811), so every card with a
 * new number would fail its stripe and go to the reject box. `carrel config check` refuses that
 * combination at `numbering.prefix`, saying what to set, and `carrel start` refuses to run it; the
 * same numbering without a stripe is fine. A Codabar prefix with letters cannot be numbered at all.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARREL_CLI, runCarrel } from '../helpers/carrel-cli.js';
import { bareDesk, writeConfigFile } from '../helpers/config-file.js';
import { tempFolders } from '../helpers/temp-folders.js';

const newFolder = tempFolders('carrel-card-numbering-');

function deskWith(card: Record<string, unknown>): string {
  const dir = newFolder();
  return writeConfigFile(
    dir,
    'carrel.json',
    bareDesk('desk-7', join(dir, 'carrel.db'), {
      devices: [
        {
          id: 'cards-1',
          kind: 'card-printer',
          transport: { type: 'tcp', host: '127.0.0.1', port: 9 },
          ...card,
        },
      ],
    }),
  );
}

const LETTERED = { symbology: 'code39', prefix: 'RPL' };

describe('card numbering with letters and the magnetic stripe', () => {
  it('config check refuses a lettered prefix with magstripe: true, saying what to set', async () => {
    const checked = await runCarrel(['config', 'check', deskWith({ numbering: LETTERED, magstripe: true })]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(2);
    const line = checked.stdout.split('\n').find((l) => l.includes('devices[0].numbering.prefix'));
    expect(line, checked.stdout).toBeDefined();
    expect(line).toMatch(/track 2/);
    expect(line).toMatch(/digits only/);
    expect(line).toMatch(/reject box/);
    expect(line).toMatch(/digits-only prefix/);
    expect(line).toMatch(/magstripe: false/);
  });

  it('config check refuses it with the stripe left at its default (on)', async () => {
    const checked = await runCarrel(['config', 'check', deskWith({ numbering: LETTERED })]);
    expect(checked.code).toBe(2);
    expect(checked.stdout).toMatch(/devices\[0\]\.numbering\.prefix: .*track 2/);
  });

  it('start refuses it too, before the desk runs', async () => {
    const child = spawn(
      process.execPath,
      [CARREL_CLI, 'start', '--config', deskWith({ numbering: LETTERED }), '--log-level', 'silent'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // A start that took the file runs on: it is ended after 15 s and the test fails on its code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code, output).toBe(2);
    expect(output).toMatch(/numbering\.prefix: .*track 2/);
  }, 20_000);

  it('the lettered prefix without a stripe, and a digits prefix with one, are fine', async () => {
    const [noStripe, digits] = await Promise.all([
      runCarrel(['config', 'check', deskWith({ numbering: LETTERED, magstripe: false })]),
      runCarrel(['config', 'check', deskWith({ numbering: { symbology: 'codabar', prefix: '21234' } })]),
    ]);
    expect(noStripe.stdout + noStripe.stderr).toContain('ok: 1 device');
    expect(noStripe.code).toBe(0);
    expect(digits.stdout + digits.stderr).toContain('ok: 1 device');
    expect(digits.code).toBe(0);
  });

  it('config check refuses a Codabar prefix with letters, stripe or not: Codabar numbers are digits', async () => {
    const checked = await runCarrel([
      'config',
      'check',
      deskWith({ numbering: { symbology: 'codabar', prefix: 'RPL' }, magstripe: false }),
    ]);
    expect(checked.code).toBe(2);
    expect(checked.stdout).toMatch(/devices\[0\]\.numbering\.prefix: .*Codabar.*digits/);
  });
});
