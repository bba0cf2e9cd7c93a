import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('writes JSON lines with the level name, module and time', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination }).child({ module: 'printer' });
    logger.info({ device: 'receipt-1' }, 'connected');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'info', module: 'printer', device: 'receipt-1', msg: 'connected' });
    expect(Date.parse(line.time)).not.toBeNaN();
  });

  it('auto: lines a person reads when the stream it writes to is a terminal, JSON otherwise', () => {
    const terminal = capture();
    Object.assign(terminal.destination, { isTTY: true });
    createLogger({ destination: terminal.destination }).child({ module: 'printer' }).warn('paper low');
    expect(terminal.lines.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}printer {2}paper low\n$/);
    const pipe = capture();
    createLogger({ destination: pipe.destination }).warn('paper low');
    expect(JSON.parse(pipe.lines[0]!)).toMatchObject({ level: 'warn', msg: 'paper low' });
  });

  it('never writes patron identifiers, names, PINs, passwords or tokens', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    const secrets = {
      patronId: '23000000012345',
      patronName: 'Zoë Åström',
      pin: '4321',
      password: 'sip-terminal-secret',
      token: 'kiosk-token-0123456789',
    };
    logger.info(secrets, 'top level');
    logger.warn({ request: secrets }, 'one level down');
    logger.info({ req: { headers: { authorization: 'Bearer kiosk-token-0123456789' } } }, 'request');
    const text = lines.join('');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    expect(text).toContain('[redacted]');
    expect(lines).toHaveLength(3);
  });
});
