/**
 * `carrel rfid scan` (the built command, dist/) against the pad simulator over TCP (FEIG), and
 * what it logs when the reader link is lost (the simulator closed under it): at a terminal (a
 * pty made by script(1)) a line a person reads, through a pipe one JSON object a line — on
 * stderr either way, stdout being the tags' JSON lines. The scan waits for the reader to come
 * back; stopped (Ctrl-C) while it is lost, it exits 1.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { CARREL_CLI } from '../helpers/carrel-cli.js';
import { until } from '../helpers/until.js';

const simulators: RfidPadSimulator[] = [];
afterEach(async () => {
  for (const sim of simulators.splice(0)) await sim.close();
});

/**
 * Runs `carrel rfid scan` on a fresh pad simulator (`run` spawns it, given its command line),
 * waits for a tag placed there to be printed, then closes the simulator: the link is lost;
 * once the scan has said so, it is interrupted.
 */
async function scanUntilTheLinkIsLost(
  run: (args: string[]) => { output: () => string; interrupt: () => void; ended: Promise<number | null> },
): Promise<{ code: number | null }> {
  const sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
  simulators.push(sim);
  const scan = run([CARREL_CLI, 'rfid', 'scan', '--reader', `tcp://127.0.0.1:${sim.tcpPort}`]);
  sim.place({ preset: 'V1' });
  await until(
    () => (scan.output().includes('"event":"arrived"') ? true : undefined),
    15_000,
    'the tag to be printed',
  );
  await sim.close();
  await until(
    () => (scan.output().includes('"event":"reader_lost"') ? true : undefined),
    15_000,
    'the lost reader to be printed',
  );
  scan.interrupt();
  return { code: await scan.ended };
}

describe('carrel rfid scan, its log', () => {
  it('at a terminal: the lost link is a line a person reads, not JSON', async () => {
    let screen = '';
    const { code } = await scanUntilTheLinkIsLost((args) => {
      const script = spawn('script', ['-qec', `exec ${process.execPath} ${args.join(' ')}`, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      script.stdin.on('error', () => {});
      script.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString('utf8');
      });
      return {
        output: () => screen,
        interrupt: () => script.stdin.write('\x03'), // Ctrl-C at the terminal
        ended: new Promise((resolve) => script.once('close', (status) => resolve(status))),
      };
    });
    expect(code).toBe(1);
    expect(screen).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}rfid-pad scan {2}rfid reader link lost; its tags are kept as last seen until it answers again /m,
    );
    expect(screen).not.toContain('"level":');
    expect(screen).toContain('carrel: lost the reader: ');
    expect(screen).toContain('carrel: stopped with the reader still lost: ');
  }, 30_000);

  it('through a pipe: one JSON object a line on stderr', async () => {
    let stdout = '';
    let stderr = '';
    const { code } = await scanUntilTheLinkIsLost((args) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      return {
        output: () => stdout,
        interrupt: () => child.kill('SIGINT'),
        ended: new Promise((resolve) => child.once('close', (status) => resolve(status))),
      };
    });
    expect(code).toBe(1);
    const [logged, said, stopped, ...rest] = stderr.split('\n');
    expect(JSON.parse(logged!)).toMatchObject({
      level: 'warn',
      module: 'rfid-pad',
      msg: 'rfid reader link lost; its tags are kept as last seen until it answers again',
    });
    expect(said).toMatch(
      /^carrel: lost the reader: tcp:\/\/127\.0\.0\.1:\d+: peer closed; trying again every second$/,
    );
    expect(stopped).toMatch(
      /^carrel: stopped with the reader still lost: tcp:\/\/127\.0\.0\.1:\d+: peer closed$/,
    );
    expect(rest).toEqual(['']);
    for (const line of stdout.split('\n').filter((l) => l !== ''))
      expect(JSON.parse(line)).toHaveProperty('event');
  }, 30_000);
});
