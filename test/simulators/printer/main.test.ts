import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPrinterSimulator } from '../../../simulators/printer/main.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runPrinterSimulator (carrel sim printer)', () => {
  it('starts on the given ports with a pty, prints where to connect, and stops on SIGTERM', async () => {
    const lines: string[] = [];
    let announced!: () => void;
    const ready = new Promise<void>((resolve) => {
      announced = resolve;
    });
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
      if (line.includes('control')) announced();
    });
    const running = runPrinterSimulator(['--port', '0', '--http-port', '0', '--columns', '32', '--pty']);
    await ready;

    const http = /receipts (http:\/\/127\.0\.0\.1:\d+)\//.exec(lines.join('\n'))?.[1];
    const serial = /serial (\S+)/.exec(lines.join('\n'))?.[1];
    expect(lines.join('\n')).toMatch(/ESC\/POS {2}tcp:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(serial!)).toBe(true);
    const state = await (await fetch(`${http}/api/state`)).json();
    expect(state).toMatchObject({ powered: true });

    process.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(existsSync(serial!)).toBe(false);
  });

  it('rejects bad options with a usage error', async () => {
    await expect(runPrinterSimulator(['--port', 'ninety'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runPrinterSimulator(['--columns', '7'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runPrinterSimulator(['--bogus'])).rejects.toMatchObject({ code: 'usage' });
  });
});
