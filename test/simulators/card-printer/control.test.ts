import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CardPrinterSimulator,
  startCardPrinterSimulator,
} from '../../../simulators/card-printer/index.js';
import { decodePng } from '../../../src/core/png.js';
import { blankPanel, command, compressPanel, encodeCommand } from '../../../src/protocols/evolis/index.js';

let sim: CardPrinterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Sends commands over TCP as a host would and collects one reply line per command. */
async function exchange(port: number, commands: Buffer[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.write(Buffer.concat(commands));
  await expect.poll(() => text.split('\r').length - 1).toBe(commands.length);
  socket.destroy();
  return text.split('\r').slice(0, -1);
}

describe('simulated Evolis card printer', () => {
  it('answers the real stream, refuses by its state, and shows the card it made as PNG on its control API', async () => {
    sim = await startCardPrinterSimulator({ httpPort: 0, ribbon: 'k', feeder: 1 });
    const front = blankPanel('k', 2);
    front.dots.fill(1, 0, 648 * 10);
    const replies = await exchange(sim.port, [
      encodeCommand(command('Rtp')),
      encodeCommand(command('Ss')),
      encodeCommand(command('Dm', '2', '21000001')),
      encodeCommand(command('Smw')),
      encodeCommand(command('Smr', '2')),
      encodeCommand(command('Sr')),
      encodeCommand({ name: 'Dbc', panel: 'k', levels: 2, data: compressPanel(front) }),
      encodeCommand(command('Se')),
      encodeCommand(command('Ss')),
      encodeCommand(command('Xyz')),
      encodeCommand(command('Rlr', 'p')),
    ]);
    expect(replies).toEqual([
      'Evolis Primacy (Carrel simulator)',
      'OK',
      'OK',
      'OK',
      ';21000001?',
      'OK',
      'OK',
      'OK',
      'NO CARD',
      'ERR CMD',
      'NO CARD',
    ]);
    const cards = (await (await fetch(`${sim.httpUrl}/api/cards`)).json()) as Array<{ number: number }>;
    expect(cards).toMatchObject([{ number: 1, outcome: 'printed', tracks: { 2: '21000001' } }]);
    const png = await fetch(`${sim.httpUrl}/api/cards/1/front.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    const image = decodePng(new Uint8Array(await png.arrayBuffer()));
    expect([image.width, image.height]).toEqual([1016, 648]);
    expect([...image.rgba.subarray(0, 4)]).toEqual([0, 0, 0, 255]); // the first 10 lines: the card's left edge, black
    expect((await fetch(`${sim.httpUrl}/`)).headers.get('content-type')).toBe('text/html');
  });

  it('takes faults from its control API: cover open, ribbon out, a jam (its card to the reject box when freed)', async () => {
    sim = await startCardPrinterSimulator({ httpPort: 0 });
    const put = (body: unknown) =>
      fetch(`${sim!.httpUrl}/api/faults`, { method: 'PUT', body: JSON.stringify(body) }).then((r) =>
        r.json(),
      );
    expect(await put({ coverOpen: true })).toMatchObject({ condition: 'ERR COVER OPEN' });
    expect(await exchange(sim.port, [encodeCommand(command('Ss'))])).toEqual(['ERR COVER OPEN']);
    expect(await put({ coverOpen: false, ribbonOut: true })).toMatchObject({ condition: 'ERR RIBBON END' });
    expect(await put({ ribbonOut: false })).toMatchObject({ condition: 'OK' });
    expect(await exchange(sim.port, [encodeCommand(command('Ss'))])).toEqual(['OK']);
    expect(await put({ jam: true })).toMatchObject({ condition: 'ERR MECHANICAL', cardInPrinter: true });
    expect(await put({ jam: false })).toMatchObject({ condition: 'OK', cardInPrinter: false });
    expect(sim.cards()).toMatchObject([{ outcome: 'rejected' }]);
    expect((await fetch(`${sim.httpUrl}/api/faults`, { method: 'PUT', body: '{"melt":true}' })).status).toBe(
      400,
    );
  });
});
