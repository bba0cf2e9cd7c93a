import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARREL_CLI, runCarrel } from '../../helpers/carrel-cli.js';

/**
 * What IT relies on when setting up a training desk whose simulated card printer feeds its encoding
 * pad (`encoderPad`): a name that is not an rfid-pad simulator of the desk — the pad device's id
 * typed for its simulator's, another simulator's — is said by `carrel config check` and stops
 * `carrel start`, with the setting's path and what to put there; not found out only as a warning in
 * the log once a card is printed and its chip is not there to encode.
 */
describe('the simulated card printer’s encoderPad in the config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-encoder-pad-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A desk file whose card printer simulator names `encoderPad`. */
  function deskFile(name: string, encoderPad: string): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        'version: 2',
        'http: { port: 0 }',
        'mqtt: { mode: off }',
        `storage: { path: ${join(dir, `${name}.db`)} }`,
        'simulators:',
        `  - { id: card-printer-sim, kind: card-printer, encoderPad: ${encoderPad} }`,
        '  - { id: card-pad-sim, kind: rfid-pad }',
        '  - { id: receipt-sim, kind: printer }',
        'devices:',
        '  - { id: card-pad, kind: rfid-reader, protocol: feig, transport: { type: simulator, simulator: card-pad-sim } }',
        '',
      ].join('\n'),
    );
    return file;
  }

  it('carrel config check names a pad that is no simulator of the desk, and one that is no rfid-pad, and what to put there', async () => {
    // The pad device's id typed where its simulator's belongs.
    const typo = deskFile('typo.yaml', 'card-pad');
    const checked = await runCarrel(['config', 'check', typo]);
    expect(checked.code).toBe(2);
    expect(checked.stdout.trim()).toBe(
      `${typo}: simulators[0].encoderPad: no simulator with id "card-pad" is configured: name the rfid-pad simulator the printer lays its cards on (here: card-pad-sim), or leave encoderPad out`,
    );

    const notAPad = deskFile('not-a-pad.yaml', 'receipt-sim');
    const wrongKind = await runCarrel(['config', 'check', notAPad]);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stdout.trim()).toBe(
      `${notAPad}: simulators[0].encoderPad: simulator "receipt-sim" is a printer simulator, not an rfid-pad one: name the rfid-pad simulator the printer lays its cards on (here: card-pad-sim), or leave encoderPad out`,
    );

    const good = await runCarrel(['config', 'check', deskFile('good.yaml', 'card-pad-sim')]);
    expect(good).toMatchObject({ code: 0, stdout: 'ok: 1 device, 3 simulators\n' });
  });

  it('carrel start refuses the file at once with the same line', async () => {
    // A desk that starts anyway is stopped after 10 s (and the test fails on its exit code).
    const child = spawn(
      process.execPath,
      [CARREL_CLI, 'start', '--config', deskFile('start.yaml', 'card-pad')],
      {
        env: { ...process.env, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10_000,
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain(
      'simulators[0].encoderPad: no simulator with id "card-pad" is configured: name the rfid-pad simulator',
    );
  }, 30_000);
});
