/**
 * `carrel sip2 … shell`: one login, then commands read line by line from stdin —
 * typed at a terminal (with a prompt and line editing) or piped from a file — each
 * answered with one JSON line on stdout. `help`, `history` and `quit` are the
 * shell's own. History is kept in memory and, with --save-history, appended to
 * $XDG_STATE_HOME/carrel/sip2-history; either way PINs and passwords are masked.
 */
import { appendFileSync, chmodSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CarrelError, describeError } from '../../core/errors.js';
import { makeFolders } from '../../core/writable.js';
import { maskFrame } from '../../protocols/sip2/index.js';
import { parseShellArgs } from './sip2-args.js';
import type { Sip2Console } from './sip2-console.js';
import { EXIT, type ExitStatus } from './sip2-outcome.js';
import { COMMANDS } from './sip2-requests.js';

export interface ShellIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const HELP = `commands: ${Object.keys(COMMANDS).join(', ')}
  each as on the command line, without the connection options: checkout PATRON ITEM --pin PIN
  quotes group words: block-patron P --message "card found on the floor"
shell: help, history, quit (or exit, or end of input)
`;

const HISTORY_KEPT = 500;

/** Where --save-history keeps the shell's lines. */
export function historyFile(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'carrel', 'sip2-history');
}

/** A line as history keeps it: PINs, passwords and secrets in raw frames masked. */
export function maskHistoryLine(line: string): string {
  return line
    .replace(/(--(?:pin|password|terminal-password)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/g, '$1***')
    .replace(
      /^(\s*raw\s+)(.*)$/,
      (_all, head: string, frame: string) => head + maskFrame(frame, { patronData: false }),
    );
}

/** Splits a line into words; single or double quotes group words, a backslash escapes one character. */
export function splitLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CarrelError('usage', `unclosed ${quote}`);
  if (inWord) words.push(word);
  return words;
}

/** Reads and runs lines until quit or end of input; resolves with the status of the last command. */
export async function runSip2Shell(
  session: Sip2Console,
  io: ShellIo,
  saveHistory: boolean,
): Promise<ExitStatus> {
  const tty = io.stdin.isTTY === true;
  let file = saveHistory ? historyFile(io.env) : undefined;
  const history: string[] = [];
  const reader = createInterface({
    input: io.stdin,
    ...(tty && { output: io.stderr, terminal: true, history: earlierLines(file), historySize: HISTORY_KEPT }),
  });
  // The terminal's own history (arrow keys) keeps what history keeps: lines with their PINs masked.
  reader.on('history', (lines: string[]) => {
    if (lines.length > 0) lines[0] = maskHistoryLine(lines[0]!);
  });
  // Ctrl-C at the prompt ends the shell, as end of input does.
  reader.on('SIGINT', () => reader.close());
  const prompt = () => {
    if (tty) {
      reader.setPrompt('sip2> ');
      reader.prompt();
    }
  };
  let status: ExitStatus = EXIT.ok;
  prompt();
  try {
    for await (const line of reader) {
      const words = safeSplit(line, io);
      if (words === undefined || words.length === 0 || words[0]!.startsWith('#')) {
        prompt();
        continue;
      }
      const kept = maskHistoryLine(line.trim());
      history.push(kept);
      const unsaved = file === undefined ? undefined : keep(file, kept);
      if (unsaved !== undefined) {
        io.stderr.write(`sip2: history not saved to ${file}: ${unsaved}\n`);
        file = undefined;
      }
      const [name, ...rest] = words;
      if (name === 'quit' || name === 'exit') break;
      if (name === 'help') io.stdout.write(HELP);
      else if (name === 'history') {
        io.stdout.write(
          history.map((entry, index) => `${String(index + 1).padStart(5)}  ${entry}\n`).join(''),
        );
      } else status = await runLine(session, name!, rest, io);
      prompt();
    }
  } finally {
    reader.close();
  }
  return status;
}

async function runLine(
  session: Sip2Console,
  name: string,
  words: string[],
  io: ShellIo,
): Promise<ExitStatus> {
  try {
    const { values, positionals } = parseShellArgs(words);
    return await session.run(name, positionals, values);
  } catch (error) {
    if (!(error instanceof CarrelError && error.code === 'usage')) throw error;
    io.stdout.write(`${JSON.stringify({ command: name, error: describeError(error) })}\n`);
    io.stderr.write(`sip2 ${name}: ${error.message} (help lists the commands)\n`);
    return EXIT.usage;
  }
}

function safeSplit(line: string, io: ShellIo): string[] | undefined {
  try {
    return splitLine(line);
  } catch (error) {
    io.stderr.write(`sip2: ${(error as Error).message}\n`);
    return undefined;
  }
}

function earlierLines(file: string | undefined): string[] {
  if (file === undefined) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_KEPT).reverse();
  } catch {
    return [];
  }
}

/**
 * Appends a (masked) line to the history file, readable by its owner only; why not, in words, when
 * it cannot. Its folders are made one at a time (makeFolders): a recursive mkdir under /proc (an
 * XDG_STATE_HOME gone wrong) never ends.
 */
function keep(file: string, line: string): string | undefined {
  try {
    makeFolders(dirname(file), 0o700);
    appendFileSync(file, `${line}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return undefined;
  } catch (error) {
    return describeError(error).message;
  }
}
