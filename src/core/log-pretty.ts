import { Writable } from 'node:stream';

const LEVEL_WIDTH = 5;
const SKIPPED = new Set(['time', 'level', 'msg', 'service', 'module', 'device', 'pid', 'hostname']);

/**
 * One JSON log line as a person at a terminal reads it:
 * `21:05:03.123 WARN  printer receipt-1  device disconnected: … code=econnreset`.
 * Redaction has already happened (pino censors before the line is written); a line
 * that is not JSON is passed on as it is.
 */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const level = String(entry.level ?? '')
    .toUpperCase()
    .padEnd(LEVEL_WIDTH);
  const where = [entry.module, entry.device].filter((part) => typeof part === 'string').join(' ');
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIPPED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level} ${where ? `${where}  ` : ''}${String(entry.msg ?? '')}${fields ? ` ${fields}` : ''}`;
}

/** A stream for pino that writes each line through `prettyLine` to `out` (a terminal). */
export function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        out.write(`${prettyLine(pending.slice(0, newline))}\n`);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      done();
    },
  });
}
