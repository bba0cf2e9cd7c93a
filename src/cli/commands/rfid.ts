import { CarrelError } from '../../core/errors.js';
import {
  decodeTag,
  encodeIso28560Part2,
  encodeIso28560Part3,
  RfidEncodeError,
  type TypeOfUsageName,
  WRITABLE_TYPES_OF_USAGE,
} from '../../protocols/rfid/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage:
  carrel rfid decode HEX [--dsfid N]
      decode a tag's user memory (logical block order or as a reader returned it); JSON out
  carrel rfid encode --format 28560-3|28560-2 --item ID [--isil ISIL] [--set X/Y]
                     [--usage circulating|patron-card|not-for-circulation|…] [--size BYTES]
      encode new tag data; hex out
  carrel rfid scan --reader tcp://HOST:PORT | --serial PATH [--protocol feig|3m] [--baud N] [--seconds N]
      live inventory of a pad: one JSON line per tag arriving or leaving, with the decoded
      item; runs for --seconds, or until Ctrl-C. A lost reader link is a "reader_lost" line
      (its tags are not said to have left), tried again every second until "reader_back",
      after which the tags on the pad are printed afresh as arriving; exit 1 if stopped while
      it is lost. Its log goes to stderr: lines to read on a terminal, one JSON object a line
      otherwise`;

const USAGES: readonly TypeOfUsageName[] = WRITABLE_TYPES_OF_USAGE;

/** Hex with or without spaces, colons or a 0x prefix. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:,-]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) {
    throw new CarrelError('usage', 'expected tag memory as hex bytes, e.g. "11 01 01 31 30 …"');
  }
  return Uint8Array.from(clean.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

function parseSet(text: string | undefined): { part: number; parts: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,3})\/(\d{1,3})$/.exec(text);
  const part = Number(match?.[1]);
  const parts = Number(match?.[2]);
  if (!match || part < 1 || parts < 1 || part > parts) {
    throw new CarrelError('usage', `--set must be PART/PARTS such as 1/2, got "${text}"`);
  }
  return { part, parts };
}

function decode(argv: string[]): number {
  const { values, positionals } = parseCommandArgs(argv, { dsfid: { type: 'string' } });
  if (positionals.length === 0) throw new CarrelError('usage', USAGE);
  const memory = parseHex(positionals.join(''));
  const dsfid = values.dsfid === undefined ? undefined : Number(values.dsfid);
  if (dsfid !== undefined && !(Number.isInteger(dsfid) && dsfid >= 0 && dsfid <= 255)) {
    throw new CarrelError('usage', '--dsfid must be a byte value 0-255');
  }
  const result = decodeTag(memory, dsfid === undefined ? {} : { dsfid });
  if (!result.ok) {
    console.log(
      JSON.stringify(
        { ok: false, error: { code: result.error.code, message: result.error.message } },
        null,
        2,
      ),
    );
    return 1;
  }
  console.log(JSON.stringify(result, jsonBytes, 2));
  return 0;
}

function encode(argv: string[]): number {
  const { values } = parseCommandArgs(
    argv,
    {
      format: { type: 'string' },
      item: { type: 'string' },
      isil: { type: 'string' },
      set: { type: 'string' },
      usage: { type: 'string' },
      size: { type: 'string' },
    },
    false,
  );
  if (!values.item) throw new CarrelError('usage', `--item is required\n${USAGE}`);
  const usage = values.usage ?? 'circulating';
  if (!USAGES.includes(usage as TypeOfUsageName)) {
    throw new CarrelError('usage', `--usage must be one of ${USAGES.join(', ')}`);
  }
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && !(Number.isInteger(size) && size >= 32 && size <= 8192)) {
    throw new CarrelError('usage', '--size must be the tag memory in bytes (32-8192)');
  }
  const set = parseSet(values.set);
  const common = {
    primaryItemId: values.item,
    typeOfUsage: usage as TypeOfUsageName,
    ...(values.isil ? { ownerLibrary: values.isil } : {}),
    ...(set ? { set } : {}),
  };
  let bytes: Uint8Array;
  try {
    if (values.format === '28560-3') bytes = encodeIso28560Part3(common, size ? { memorySize: size } : {});
    else if (values.format === '28560-2')
      bytes = encodeIso28560Part2(common, size ? { memorySize: size } : {});
    else throw new CarrelError('usage', `--format must be 28560-3 or 28560-2\n${USAGE}`);
  } catch (error) {
    if (error instanceof RfidEncodeError) throw new CarrelError('usage', error.message);
    throw error;
  }
  console.log(toHex(bytes));
  return 0;
}

/** Byte arrays in the decoded fields print as hex, not as `{ "0": 17, … }`. */
function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? toHex(value) : value;
}

/** Where `scan` writes its lines and what stops it (besides --seconds and Ctrl-C). */
export interface ScanIo {
  write?: (line: string) => void;
  signal?: AbortSignal;
}

interface ScanOptions {
  protocol: 'feig' | '3m';
  tcp?: { host: string; port: number };
  serial?: { path: string; baudRate?: number };
  seconds?: number;
}

function scanOptions(argv: string[]): ScanOptions {
  const { values } = parseCommandArgs(
    argv,
    {
      reader: { type: 'string' },
      serial: { type: 'string' },
      protocol: { type: 'string' },
      baud: { type: 'string' },
      seconds: { type: 'string' },
    },
    false,
  );
  if ((values.reader === undefined) === (values.serial === undefined))
    throw new CarrelError('usage', `give either --reader tcp://HOST:PORT or --serial PATH\n${USAGE}`);
  const protocol = values.protocol ?? 'feig';
  if (protocol !== 'feig' && protocol !== '3m')
    throw new CarrelError('usage', '--protocol must be feig or 3m');
  const options: ScanOptions = { protocol };
  if (values.reader !== undefined) {
    const match = /^tcp:\/\/(\[[^\]]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(values.reader);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535)
      throw new CarrelError('usage', `--reader must be tcp://HOST:PORT, got "${values.reader}"`);
    options.tcp = { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  }
  if (values.serial !== undefined) {
    const baudRate = values.baud === undefined ? undefined : Number(values.baud);
    if (baudRate !== undefined && !(Number.isInteger(baudRate) && baudRate >= 300 && baudRate <= 921600))
      throw new CarrelError('usage', '--baud must be a line speed such as 38400');
    options.serial = { path: values.serial, ...(baudRate ? { baudRate } : {}) };
  }
  if (values.seconds !== undefined) {
    const seconds = Number(values.seconds);
    if (!(Number.isFinite(seconds) && seconds > 0))
      throw new CarrelError('usage', '--seconds must be a positive number');
    options.seconds = seconds;
  }
  return options;
}

/** A lost reader is tried again this often. */
const RECONNECT_MS = 1000;

/**
 * `carrel rfid scan`: runs the pad device on a reader and prints each tag arriving and
 * leaving as one JSON line. A lost link is a `reader_lost` line (its tags are not said to have
 * left: nobody knows), tried again every second until `reader_back`, after which the reader's
 * inventories decide: a tag still on the pad is not printed again, one taken off meanwhile is
 * `left`, a new one `arrived`. Exit 0 when stopped, 1 when stopped while the reader is lost; a
 * reader not reached at the start is an error.
 */
export async function scan(argv: string[], io: ScanIo = {}): Promise<number> {
  const options = scanOptions(argv);
  const write = io.write ?? ((line: string) => console.log(line));
  const [{ systemClock }, { createLogger }, rfid, { TcpTransport }, { SerialTransport }] = await Promise.all([
    import('../../core/clock.js'),
    import('../../core/logger.js'),
    import('../../devices/rfid/index.js'),
    import('../../devices/transport/tcp.js'),
    import('../../devices/transport/serial.js'),
  ]);
  const line = options.protocol === 'feig' ? rfid.FEIG_SERIAL_DEFAULTS : rfid.THREEM_SERIAL_DEFAULTS;
  const transport = options.tcp
    ? new TcpTransport({ ...options.tcp, clock: systemClock })
    : new SerialTransport({ ...line, ...options.serial! });
  const clock = systemClock;
  const reader =
    options.protocol === 'feig'
      ? new rfid.FeigReader({ transport, clock })
      : new rfid.ThreeMReader({ transport, clock });
  const pad = new rfid.RfidPadDevice({
    id: 'scan',
    reader,
    clock,
    logger: createLogger({ level: 'warn', destination: process.stderr }),
    inventoryIntervalMs: 100,
  });
  const now = () => new Date(clock.now()).toISOString();
  const print = (type: string, data: Record<string, unknown>) => {
    if (type === 'tag_arrived') write(JSON.stringify({ event: 'arrived', time: now(), ...data }));
    else if (type === 'tag_left') write(JSON.stringify({ event: 'left', time: now(), ...data }));
  };
  pad.on('event', print);
  let stopping = false;
  let lost: Error | undefined;
  let retry: { cancel(): void } | undefined;
  let finish = () => {};
  const stopped = new Promise<void>((resolve) => {
    finish = () => {
      stopping = true;
      resolve();
    };
  });
  const tryAgain = () => {
    retry = clock.setTimeout('rfid scan reconnect', reconnect, RECONNECT_MS);
  };
  const reconnect = () => {
    retry = undefined;
    if (stopping) return;
    pad.connect().then(
      () => {
        if (stopping) return;
        lost = undefined;
        write(JSON.stringify({ event: 'reader_back', time: now() }));
        console.error('carrel: the reader is back');
      },
      () => {
        if (!stopping) tryAgain();
      },
    );
  };
  pad.on('disconnected', (error) => {
    lost = error;
    write(JSON.stringify({ event: 'reader_lost', time: now(), reason: error.message }));
    console.error(`carrel: lost the reader: ${error.message}; trying again every second`);
    tryAgain();
  });
  const timer =
    options.seconds === undefined ? undefined : clock.setTimeout('rfid scan', finish, options.seconds * 1000);
  io.signal?.addEventListener('abort', finish, { once: true });
  if (io.signal?.aborted) finish();
  process.once('SIGINT', finish);
  // The clock's timers do not keep the process up, and a lost reader leaves nothing else that
  // does: the scan runs until stopped.
  const running = setInterval(() => {}, 1 << 30);
  try {
    await pad.connect();
    await stopped;
  } finally {
    clearInterval(running);
    timer?.cancel();
    retry?.cancel();
    process.off('SIGINT', finish);
    io.signal?.removeEventListener('abort', finish);
    // Tags still on the pad have not left: disconnecting says nothing of them.
    await pad.disconnect();
  }
  if (lost) {
    console.error(`carrel: stopped with the reader still lost: ${lost.message}`);
    return 1;
  }
  return 0;
}

export const rfidCommand: Command = {
  async run(argv) {
    const [action, ...rest] = argv;
    if (action === 'decode') return decode(rest);
    if (action === 'encode') return encode(rest);
    if (action === 'scan') return scan(rest);
    if (action === '--help' || action === '-h') {
      console.log(USAGE);
      return 0;
    }
    throw new CarrelError('usage', USAGE);
  },
};
