/**
 * `carrel <command> --help` (the built command, dist/) as IT staff read it before running a
 * command: every option its usage line offers is said on a line of its own, with what it does —
 * not only named in the usage line, leaving the reader to guess what `--mqtt-port N` or
 * `--token TOKEN` changes.
 */
import { describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';

/**
 * `carrel <command> --help`, run once for the file: several tests read the same command's help
 * (start's and fleet's by three tests each, five commands' by two), a node started for each.
 */
const helps = new Map<string, ReturnType<typeof runCarrel>>();
function helpOf(command: string): ReturnType<typeof runCarrel> {
  let help = helps.get(command);
  if (!help) {
    help = runCarrel([command, '--help'], { env: { CARREL_CONFIG: '' } });
    helps.set(command, help);
  }
  return help;
}

/** The options a usage text's `usage:` lines offer, `--name` as written. */
function offered(usage: string): string[] {
  const head = usage.slice(0, usage.indexOf('\n\n'));
  return [...new Set([...head.matchAll(/--[a-z][a-z0-9-]*/g)].map((match) => match[0]))];
}

describe('carrel <command> --help', () => {
  it.each(['start', 'doctor', 'fleet', 'backup', 'restore'])(
    '%s: says what each option of its usage line does, on a line of its own',
    async (command) => {
      const help = await helpOf(command);
      expect(help.code).toBe(0);
      expect(help.stderr).toBe('');
      const options = offered(help.stdout);
      expect(options.length).toBeGreaterThan(0);
      const unexplained = options.filter(
        (option) =>
          // `  --option ARG   what it does`, or what it does on the lines below it.
          !new RegExp(`^ {2,}${option}(?:(?:[ =][^\\n]*)? {2,}\\S|[^\\n]*\\n {4,}\\S)`, 'm').test(
            help.stdout,
          ),
      );
      expect(unexplained, help.stdout).toEqual([]);
    },
  );

  it("start: says the simulated desk's broker moves off a taken 1883, and that the banner names where", async () => {
    const help = await helpOf('start');
    expect(help.stdout).toMatch(/1883 is taken/);
    expect(help.stdout).toMatch(/banner/);
  });

  it('start: says its exit statuses, as doctor and config check do: IT and systemd read them', async () => {
    const help = await helpOf('start');
    expect(help.stdout).toMatch(/Exit status: 0 .*stopped/);
    expect(help.stdout).toMatch(/1 .*could not serve/);
    expect(help.stdout).toMatch(/2 .*bad usage.*configuration/s);
  });

  it('fleet: offers --timeout, with its range and the 10 s it dials the broker without it', async () => {
    const help = await helpOf('fleet');
    expect(help.stdout).toMatch(/\[--timeout SECONDS\]/);
    expect(help.stdout).toMatch(
      /--timeout +how many seconds to dial the broker at start[\s\S]*\(1-600, default 10\)/,
    );
  });
});

/**
 * `carrel help <command>`, as git and npm read it: that command's own help, the same text as
 * `carrel <command> --help` — not the general list of commands.
 */
describe('carrel help <command>', () => {
  const commands = ['start', 'config', 'doctor', 'rfid', 'sip2', 'backup', 'restore', 'mqtt', 'fleet', 'sim'];

  it.each(commands)("help %s: prints %s's own help, as --help does", async (command) => {
    const env = { CARREL_CONFIG: '' };
    const [viaHelp, viaFlag] = await Promise.all([runCarrel(['help', command], { env }), helpOf(command)]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).not.toMatch(/^usage: carrel <command>/);
  });

  it('help foo: says there is no such command, lists the commands, exit 2', async () => {
    const run = await runCarrel(['help', 'foo'], { env: { CARREL_CONFIG: '' } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/no command "foo"/);
    for (const command of commands) expect(run.stderr).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([['help'], ['--help'], ['-h']])(
    'help %s: prints what `carrel help` itself does, exit 0 — not "no command"',
    async (topic) => {
      const run = await runCarrel(['help', topic], { env: { CARREL_CONFIG: '' } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^usage: carrel help \[<command>\]/);
      // What it does with a command named, and without one.
      expect(run.stdout).toMatch(/carrel <command> --help/);
      expect(run.stdout).toMatch(/list of commands/);
    },
  );

  it('help alone still prints the list of commands, exit 0', async () => {
    const run = await runCarrel(['help'], { env: { CARREL_CONFIG: '' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: carrel <command>/);
  });
});
