import { configCommand } from './config.js';
import { simCommand } from './sim.js';
import { startCommand } from './start.js';

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  start: startCommand,
  config: configCommand,
  sim: simCommand,
};

export function printUsage(out: NodeJS.WritableStream): void {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  out.write('usage: carrel <command> [options]\n\ncommands:\n');
  for (const [name, command] of Object.entries(COMMANDS)) {
    out.write(`  ${name.padEnd(width)}  ${command.summary}\n`);
  }
  out.write('\n`carrel <command> --help` for its options.\n');
}
