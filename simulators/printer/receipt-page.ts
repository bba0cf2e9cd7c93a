/**
 * The page a person looks at: the printer's condition with buttons to change
 * it, and the recent receipts (newest first) drawn as SVG. Refreshes itself.
 */

import { escapeXml } from './receipt-svg.js';
import type { PrinterSimulator } from './simulator.js';

const CONDITIONS = [
  ['coverOpen', 'Cover open'],
  ['paperOut', 'Paper out'],
  ['paperNearEnd', 'Paper near end'],
  ['offline', 'Offline'],
] as const;

export function receiptPage(printer: PrinterSimulator): string {
  const state = printer.state();
  const condition = state.condition;
  const toggles = CONDITIONS.map(([key, label]) => {
    const on = condition[key];
    return `<button class="${on ? 'on' : ''}" onclick='control(${JSON.stringify({ [key]: !on })})'>${label}: ${on ? 'yes' : 'no'}</button>`;
  }).join('\n');
  const receipts = printer
    .receipts()
    .reverse()
    .map(
      (receipt) => `<figure>
  ${receipt.svg}
  <figcaption>#${receipt.id} · ${escapeXml(receipt.printedAt)} ·
    <a href="/api/receipts/${receipt.id}.txt">text</a> · <a href="/api/receipts/${receipt.id}.svg">svg</a></figcaption>
</figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>Printer ${escapeXml(state.id)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #eee; margin: 1rem; }
  header { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  button { padding: .3rem .6rem; }
  button.on { background: #c33; color: #fff; }
  .receipts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; margin-top: 1rem; }
  figure { margin: 0; background: #fff; box-shadow: 0 1px 4px #999; }
  figcaption { font-size: .8rem; padding: .3rem; }
</style>
</head>
<body>
<header>
  <h1>Printer ${escapeXml(state.id)}</h1>
  <span id="status">${state.powered ? 'power on' : 'power off'} · ${state.bufferedBytes} bytes waiting · ${state.connections} connection(s)</span>
</header>
<header>
${toggles}
<button onclick='power(${JSON.stringify(!state.powered)})'>${state.powered ? 'Power off' : 'Power on'}</button>
<button onclick="clearReceipts()">Clear receipts</button>
</header>
<section class="receipts">
${receipts || '<p>No receipts yet.</p>'}
</section>
<script>
  async function post(path, body) {
    await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    location.reload();
  }
  function control(change) { return post('/api/control', change); }
  function power(on) { return post('/api/power', { on }); }
  async function clearReceipts() { await fetch('/api/receipts', { method: 'DELETE' }); location.reload(); }
</script>
</body>
</html>
`;
}
