import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { rfidCommand, scan } from '../../src/cli/commands/rfid.js';
import { until } from '../helpers/until.js';

/** `carrel rfid scan`, in process, against the pad simulator over TCP (FEIG). */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function padSimulator(): Promise<RfidPadSimulator> {
  const sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
  cleanups.push(() => sim.close());
  return sim;
}

describe('carrel rfid scan', () => {
  it('prints one JSON line per tag arriving and leaving, with the decoded item, until stopped', async () => {
    const sim = await padSimulator();
    const lines: Array<Record<string, unknown>> = [];
    const stop = new AbortController();
    const running = scan(['--reader', `tcp://127.0.0.1:${sim.tcpPort}`], {
      write: (line) => lines.push(JSON.parse(line)),
      signal: stop.signal,
    });
    const { uid } = sim.place({ preset: 'V1' });
    const arrived = await until(() => lines.find((l) => l.event === 'arrived' && l.uid === uid));
    expect(arrived).toMatchObject({
      uid,
      afi: 0x07,
      secured: true,
      item: { format: '28560-3', primaryItemId: '1000000056', isil: 'DK-718500', typeOfUsage: 'circulating' },
    });
    expect(Date.parse(arrived.time as string)).not.toBeNaN();
    sim.remove(uid);
    expect(await until(() => lines.find((l) => l.event === 'left' && l.uid === uid))).toMatchObject({
      primaryItemId: '1000000056',
    });
    const second = sim.place({ preset: 'V2' });
    await until(() => lines.find((l) => l.event === 'arrived' && l.uid === second.uid));
    stop.abort();
    expect(await running).toBe(0);
    // stopping is not the tag leaving
    expect(lines.filter((l) => l.uid === second.uid).map((l) => l.event)).toEqual(['arrived']);
  });

  it('exits by itself after --seconds', async () => {
    const sim = await padSimulator();
    const { uid } = sim.place({ preset: 'V3' });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    cleanups.push(() => log.mockRestore());
    const code = await rfidCommand.run([
      'scan',
      '--reader',
      `tcp://127.0.0.1:${sim.tcpPort}`,
      '--seconds',
      '0.5',
    ]);
    expect(code).toBe(0);
    const printed = log.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(printed).toEqual([
      expect.objectContaining({
        event: 'arrived',
        uid,
        item: expect.objectContaining({ primaryItemId: '11223344' }),
      }),
    ]);
  });

  it('reports a reader that cannot be reached as an error', async () => {
    const sim = await padSimulator();
    const port = sim.tcpPort!;
    await sim.close();
    await expect(scan(['--reader', `tcp://127.0.0.1:${port}`, '--seconds', '1'])).rejects.toMatchObject({
      code: expect.not.stringMatching(/^usage$/),
    });
  });

  it('says the reader was lost, not that its tags left, and says when it is back', async () => {
    const first = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    const port = first.tcpPort!;
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    cleanups.push(() => error.mockRestore());
    const lines: Array<Record<string, unknown>> = [];
    const stop = new AbortController();
    const running = scan(['--reader', `tcp://127.0.0.1:${port}`], {
      write: (line) => lines.push(JSON.parse(line)),
      signal: stop.signal,
    });
    const { uid } = first.place({ preset: 'V1' });
    const other = first.place({ preset: 'V2' });
    await until(() => (lines.filter((l) => l.event === 'arrived').length === 2 ? true : undefined));
    await first.close(); // the reader unplugged: its tags still lie on the pad
    const lost = await until(() => lines.find((l) => l.event === 'reader_lost'));
    expect(lost).toMatchObject({ reason: expect.stringContaining('peer closed') });
    expect(Date.parse(lost.time as string)).not.toBeNaN();
    expect(lines.filter((l) => l.event === 'left')).toEqual([]);
    expect(error.mock.calls.flat().join(' ')).toMatch(/lost the reader/);
    // plugged in again, the same tag still there, the other taken off meanwhile, a new one put down
    const again = await startRfidPadSimulator({ protocol: 'feig', tcpPort: port });
    cleanups.push(() => again.close());
    again.place({ preset: 'V1', uid });
    const added = again.place({ preset: 'V3' });
    await until(() => lines.find((l) => l.event === 'reader_back'), 10_000);
    const back = lines.findIndex((l) => l.event === 'reader_back');
    await until(() => lines.slice(back).find((l) => l.event === 'left'));
    await until(() => lines.slice(back).find((l) => l.event === 'arrived'));
    expect(error.mock.calls.flat().join(' ')).toMatch(/the reader is back/);
    await new Promise((resolve) => setTimeout(resolve, 500)); // five more rounds
    stop.abort();
    expect(await running).toBe(0);
    expect(lines.slice(0, back + 1).map((l) => l.event)).toEqual([
      'arrived',
      'arrived',
      'reader_lost',
      'reader_back',
    ]);
    // the tag still there is not printed again
    expect(
      lines
        .slice(back + 1)
        .map((l) => `${l.event} ${l.uid}`)
        .sort(),
    ).toEqual([`arrived ${added.uid}`, `left ${other.uid}`].sort());
  });

  it('stopped while the reader is still lost, exits 1 and says so', async () => {
    const sim = await padSimulator();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    cleanups.push(() => error.mockRestore());
    const lines: Array<Record<string, unknown>> = [];
    const stop = new AbortController();
    const running = scan(['--reader', `tcp://127.0.0.1:${sim.tcpPort}`], {
      write: (line) => lines.push(JSON.parse(line)),
      signal: stop.signal,
    });
    sim.place({ preset: 'V1' });
    await until(() => lines.find((l) => l.event === 'arrived'));
    await sim.close();
    await until(() => lines.find((l) => l.event === 'reader_lost'));
    stop.abort();
    expect(await running).toBe(1);
    expect(error.mock.calls.flat().join(' ')).toMatch(/stopped with the reader still lost/);
    expect(lines.map((l) => l.event)).toEqual(['arrived', 'reader_lost']);
  });

  it('rejects bad options as usage errors', async () => {
    for (const argv of [
      [],
      ['--reader', 'tcp://127.0.0.1:1', '--serial', '/dev/ttyUSB0'],
      ['--reader', 'http://127.0.0.1:10001'],
      ['--reader', 'tcp://127.0.0.1:99999'],
      ['--reader', 'tcp://127.0.0.1:10001', '--protocol', 'hf'],
      ['--reader', 'tcp://127.0.0.1:10001', '--seconds', '-1'],
      ['--serial', '/dev/ttyUSB0', '--baud', 'fast'],
    ]) {
      await expect(scan(argv), argv.join(' ')).rejects.toMatchObject({ code: 'usage' });
    }
  });
});
