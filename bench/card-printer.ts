/**
 * Card printing: the template render (the built-in library card with a photo: colour front to
 * YMCKO panels, black back to a K panel), median of runs, against its 300 ms target; and the time
 * from POST /api/v1/cards to the simulated printer reporting the card out, beside the floor the
 * stream's bytes set on the link — the same number of bytes pushed through a loopback TCP socket in
 * this run (and, for scale, what a 115200-baud serial line would need). Prints nothing.
 */
import { connect, createServer } from 'node:net';
import { cardPrinterSimulators } from '../simulators/card-printer/family.js';
import type { CardSummary } from '../simulators/card-printer/simulator.js';
import { encodePng } from '../src/core/png.js';
import { CardTemplates } from '../src/gateway/families/card-printer/card-templates.js';
import { imageToPanels } from '../src/protocols/evolis/index.js';
import { withSimulatedDesk } from './simulated-desk.js';
import type { BenchResult } from './types.js';

const RENDERS = 12;
const CARDS = 6;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function photo(): Buffer {
  const width = 600;
  const height = 800;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([(i >> 4) & 255, (i >> 10) & 255, 160, 255], i);
  return encodePng(rgba, width, height);
}

async function renderTime(): Promise<number> {
  const templates = new CardTemplates();
  const picture = photo();
  const fields = {
    name: 'Zoë Åström',
    expiry: '2027-12-03',
    cardNumber: '21234000123455',
    library: 'Riverside',
  };
  const samples: number[] = [];
  for (let i = 0; i < RENDERS + 2; i++) {
    const start = performance.now();
    const card = await templates.render('library-card', fields, 'codabar', picture);
    imageToPanels(card.front, 'ymcko');
    imageToPanels(card.back!, 'k');
    if (i >= 2) samples.push(performance.now() - start);
  }
  return median(samples);
}

/** How long `bytes` take through a loopback TCP socket to a reader: the link's floor. */
async function loopbackFloor(bytes: number): Promise<number> {
  let received = 0;
  let done: () => void = () => {};
  const server = createServer((socket) =>
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= bytes) done();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const payload = Buffer.alloc(bytes, 0x5a);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    received = 0;
    const arrived = new Promise<void>((resolve) => {
      done = resolve;
    });
    const start = performance.now();
    client.write(payload);
    await arrived;
    samples.push(performance.now() - start);
  }
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return median(samples);
}

async function issueTime(): Promise<{ median: number; bytes: number }> {
  return withSimulatedDesk('cards', ['cards-1', 'ils'], async ({ desk, api }) => {
    const sim = desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < CARDS + 1; i++) {
      const before = sim.state().bytesReceived as number;
      const out = new Promise<CardSummary>((resolve) => sim.events.once('card', resolve));
      const start = performance.now();
      const answer = fetch(`${api}/cards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron: '21000001', number: 'patron' }),
      });
      const card = await out;
      const elapsed = performance.now() - start;
      await answer;
      if (card.outcome !== 'printed') throw new Error('the simulated printer rejected a card');
      if (i > 0) samples.push(elapsed);
      bytes = (sim.state().bytesReceived as number) - before;
    }
    return { median: median(samples), bytes };
  });
}

export async function run(): Promise<BenchResult[]> {
  const render = await renderTime();
  const issue = await issueTime();
  const floor = await loopbackFloor(issue.bytes);
  return [
    {
      name: 'template render, colour front + black back, photo',
      value: render,
      unit: 'ms',
      target: '≤ 300 ms',
      met: render <= 300,
    },
    { name: 'POST /api/v1/cards → card out of the simulator, median', value: issue.median, unit: 'ms' },
    { name: 'card stream (stripe, YMCKO front, K back)', value: issue.bytes / 1024, unit: 'KiB' },
    { name: 'floor: those bytes through loopback TCP', value: floor, unit: 'ms' },
    { name: 'for scale: those bytes on 115200-baud serial', value: (issue.bytes * 10) / 115.2, unit: 'ms' },
  ];
}
