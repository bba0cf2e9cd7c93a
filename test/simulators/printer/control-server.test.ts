import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PrinterSimulator, startPrinterSimulator } from '../../../simulators/printer/simulator.js';
import { receiptlineEscPos } from '../../protocols/escpos/receipt-documents.js';
import { connectPrinter } from './printer-client.js';

let printer: PrinterSimulator;

beforeEach(async () => {
  printer = await startPrinterSimulator({ id: 'desk-1' });
});

afterEach(async () => {
  await printer.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${printer.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function printOne(text: string): Promise<number> {
  const { socket } = await connectPrinter(printer.escposPort);
  const printed = new Promise<{ id: number }>((resolve) => printer.once('receipt', resolve));
  socket.write(receiptlineEscPos(`${text}\n=`, 'cp1252'));
  const receipt = await printed;
  socket.destroy();
  return receipt.id;
}

describe('printer control API', () => {
  it('binds 127.0.0.1 and reports state', async () => {
    expect(printer.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${printer.httpUrl}/api/state`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: 'desk-1',
      powered: true,
      condition: { coverOpen: false, paperOut: false, paperNearEnd: false, offline: false },
    });
  });

  it('changes the condition with POST /api/control', async () => {
    const response = await post('/api/control', { paperOut: true, paperNearEnd: true });
    expect(response.status).toBe(200);
    expect(printer.condition()).toEqual({
      coverOpen: false,
      paperOut: true,
      paperNearEnd: true,
      offline: false,
    });
    await post('/api/control', { paperOut: false });
    expect(printer.condition().paperOut).toBe(false);
    expect(printer.condition().paperNearEnd).toBe(true);
  });

  it('rejects bad input with 400 (a body too large with 413, as the other simulators do) and a JSON error, changing nothing', async () => {
    for (const body of ['{not json', { paperOut: 'yes' }, { lidOpen: true }, [true], null]) {
      const response = await post('/api/control', body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect((await response.json()) as { error: string }).toHaveProperty('error');
    }
    expect((await post('/api/power', { on: 'off' })).status).toBe(400);
    expect((await post('/api/control', 'x'.repeat(20_000))).status).toBe(413);
    expect(printer.condition().paperOut).toBe(false);
    expect((await fetch(`${printer.httpUrl}/api/nothing`)).status).toBe(404);
  });

  it('powers off and on with POST /api/power', async () => {
    expect((await post('/api/power', { on: false })).status).toBe(200);
    expect(printer.state().powered).toBe(false);
    await expect(connectPrinter(printer.escposPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await post('/api/power', { on: true })).status).toBe(200);
    const { socket } = await connectPrinter(printer.escposPort);
    socket.destroy();
  });

  it('serves receipts as JSON (newest first), SVG and text, and forgets them on DELETE', async () => {
    const first = await printOne('First slip');
    const second = await printOne('Second slip');
    const list = (await (await fetch(`${printer.httpUrl}/api/receipts`)).json()) as Array<{
      id: number;
      text: string;
    }>;
    expect(list.map((r) => r.id)).toEqual([second, first]);
    expect(list[0]!.text).toContain('Second slip');

    const svg = await fetch(`${printer.httpUrl}/api/receipts/${first}.svg`);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(await svg.text()).toContain('First slip');
    const txt = await fetch(`${printer.httpUrl}/api/receipts/${first}.txt`);
    expect(txt.headers.get('content-type')).toContain('text/plain');
    expect((await txt.text()).trim()).toBe('First slip');
    expect((await fetch(`${printer.httpUrl}/api/receipts/999.svg`)).status).toBe(404);

    expect((await fetch(`${printer.httpUrl}/api/receipts`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${printer.httpUrl}/api/receipts`)).json()).toEqual([]);
  });

  it('serves a page with the condition and the receipts drawn inline, newest first, refreshing itself', async () => {
    await printOne('Older <slip>');
    await printOne('Newer slip');
    await post('/api/control', { coverOpen: true });
    const response = await fetch(`${printer.httpUrl}/`);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('http-equiv="refresh"');
    expect(html).toContain('Cover open: yes');
    expect(html).toContain('Paper out: no');
    expect(html.indexOf('Newer slip')).toBeLessThan(html.indexOf('Older &#60;slip&#62;'));
    expect(html.match(/<svg /g)).toHaveLength(2);
  });
});
