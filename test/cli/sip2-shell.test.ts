/**
 * `carrel sip2 … shell` against the ILS simulator over real TCP: commands piped
 * in line by line on one login, one JSON line per answer, help, history (PINs
 * masked, in memory and in a file), and what the exit status is.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { createSip2Command } from '../../src/cli/commands/sip2.js';
import { maskHistoryLine, splitLine } from '../../src/cli/commands/sip2-shell.js';
import { until as poll } from '../helpers/until.js';
import { kiosk, runConsole, SipTap } from './sip2-rig.js';

let simulator: IlsSimulator;
let tap: SipTap;
let stateDir: string;

beforeAll(async () => {
  simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
  tap = await SipTap.start(simulator.port);
  stateDir = mkdtempSync(join(tmpdir(), 'carrel-sip2-shell-'));
});
afterAll(async () => {
  await tap.close();
  await simulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => tap.reset());

/** The shell as kiosk1, fed `lines` through a pipe that then closes. */
function shell(lines: string[], ...argv: string[]) {
  const input = new PassThrough();
  input.end(lines.map((line) => `${line}\n`).join(''));
  return runConsole(kiosk(tap.port, ...argv, 'shell'), { input, env: { XDG_STATE_HOME: stateDir } });
}

/** Waits, bounded, until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  await poll(() => condition() || undefined, 5000, `timed out waiting for ${what}`, 10);
}

describe('carrel sip2 shell', () => {
  it('runs piped commands on one login, one JSON line per answer; history masks PINs', async () => {
    const { code, lines, out } = await shell([
      'patron-info 21000001 --pin 1234',
      'checkout 21000009 31000006 --pin 9999',
      '',
      '# a comment',
      'item-info 31000006',
      'checkin 31000006',
      'history',
      'quit',
      'item-info 31000001',
    ]);
    expect(code).toBe(0);
    expect(tap.sent).toHaveLength(1);
    expect(tap.codes()).toEqual(['93', '99', '63', '11', '17', '09']);
    expect(lines.map((line) => line.command)).toEqual(['patron-info', 'checkout', 'item-info', 'checkin']);
    expect(lines[1].message).toMatchObject({ type: 'checkoutResponse', ok: true });
    expect(lines[2].message.circulationStatus.name).toBe('charged');
    expect(out).toContain('    1  patron-info 21000001 --pin ***\n');
    expect(out).toContain('    2  checkout 21000009 31000006 --pin ***\n');
    expect(out).toContain('    5  history\n');
    expect(
      out
        .split('\n')
        .filter((line) => /^\s+\d+ {2}/.test(line))
        .join('\n'),
    ).not.toMatch(/1234|9999/);
  });

  it('help lists the commands; an unknown command or a connection option is refused and the shell goes on', async () => {
    const { code, lines, out, stderr } = await shell([
      'help',
      'fly',
      'item-info 31000001 --host elsewhere',
      'item-info 31000001 --summary',
      'item-info 31000001',
    ]);
    expect(out).toMatch(/^commands: status, login, patron-status/);
    expect(lines.map((line) => line.error?.code ?? line.message.type)).toEqual([
      'usage',
      'usage',
      'usage',
      'itemInformationResponse',
    ]);
    expect(lines[1].error.message).toContain('--host is a connection option');
    expect(stderr).toContain('help lists the commands');
    expect(code).toBe(0);
    expect(tap.codes()).toEqual(['93', '99', '17']);
  });

  it('exits with the status of the last command', async () => {
    expect((await shell(['item-info 31000001', 'patron-status 29999999'])).code).toBe(1);
    expect((await shell(['patron-status 29999999', 'item-info 31000001'])).code).toBe(0);
    expect((await shell(['item-info 31000001', 'fly'])).code).toBe(2);
  });

  it('exits 3 at once when it cannot connect, reading nothing', async () => {
    const input = new PassThrough();
    input.end('item-info 31000001\n');
    const { code, json } = await runConsole(['--host', '127.0.0.1', '--port', '1', 'shell'], { input });
    expect(code).toBe(3);
    expect(json).toMatchObject({ command: 'shell', error: { code: 'econnrefused' } });
  });

  it('--save-history appends the lines to $XDG_STATE_HOME/carrel/sip2-history, secrets masked, owner only', async () => {
    await shell(
      ['patron-status 21000001 --pin 1234', 'raw "9300CNkiosk1|COkiosk1pw|CPMAIN|"', 'quit'],
      '--save-history',
    );
    const file = join(stateDir, 'carrel', 'sip2-history');
    expect(readFileSync(file, 'utf8')).toBe(
      'patron-status 21000001 --pin ***\nraw "9300CNkiosk1|CO***|CPMAIN|"\nquit\n',
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a request the ILS does not answer in time: ils_timeout, exit 3; the next one logs in again', async () => {
    const input = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    const answers = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    const running = createSip2Command({ stdout, stderr: new PassThrough(), env: {}, stdin: input }).run(
      kiosk(tap.port, '--timeout', '300', 'shell'),
    );
    input.write('item-info 31000001\n');
    await until(() => answers().length === 1, 'the first answer');
    simulator.setFaults({ latencyMs: 1000 });
    input.write('item-info 31000001\n');
    await until(() => answers().length === 2, 'the timeout');
    simulator.setFaults({});
    expect(answers()[1].error).toMatchObject({
      code: 'ils_timeout',
      message: expect.stringContaining('300 ms'),
    });
    input.end('item-info 31000001\n');
    expect(await running).toBe(0);
    expect(answers()[2].message.type).toBe('itemInformationResponse');
    // The 17 that timed out is tried again on a new connection, whose login times out too; the link is
    // then down, and the next command connects again.
    expect(tap.sent.map((frames) => frames.map((frame) => frame.slice(0, 2)))).toEqual([
      ['93', '99', '17', '17'],
      ['93'],
      ['93', '99', '17'],
    ]);
  });
});

describe('shell lines', () => {
  it('are split into words; quotes group them', () => {
    expect(splitLine(`block-patron P1 --message "card found on the floor" x\\ y ''`)).toEqual([
      'block-patron',
      'P1',
      '--message',
      'card found on the floor',
      'x y',
      '',
    ]);
    expect(() => splitLine('hold "P1')).toThrow(/unclosed/);
  });

  it('are kept with PINs and passwords masked', () => {
    expect(maskHistoryLine('checkout P I --pin 1234')).toBe('checkout P I --pin ***');
    expect(maskHistoryLine('checkout P I --pin=1234 --fee-acknowledged')).toBe(
      'checkout P I --pin=*** --fee-acknowledged',
    );
    expect(maskHistoryLine('renew P --pin "12 34"')).toBe('renew P --pin ***');
    expect(maskHistoryLine('raw 6300120240315    142530          AOx|AAp|ADsecret|')).toBe(
      'raw 6300120240315    142530          AOx|AAp|AD***|',
    );
  });
});
