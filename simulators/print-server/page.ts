/**
 * The simulated print server's page: the printer's state and faults, the
 * jobs of each queue, and the pages each printed job came out as (pictures of
 * them, drawn from the job's document). It refreshes itself every two seconds.
 */
import type { PrintServerModel, SimulatedJob } from './print-server-model.js';

const SHOWN_PAGES = 4;

export function printServerPage(id: string, model: PrintServerModel): string {
  const printer = model.printerState();
  const jobs = model
    .list(undefined, 'all')
    .sort((a, b) => b.id - a.id)
    .slice(0, 50);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Print server ${html(id)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;background:#f4f4f0;color:#222}
.state{font-size:1.2rem;margin-bottom:1rem}.fault{color:#a00;font-weight:bold}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.pages img{height:120px;margin-right:.3rem;border:1px solid #aaa;background:#fff}
.held{color:#666}.completed{color:#060}.aborted,.canceled{color:#a00}
</style></head><body>
<h1>Print server ${html(id)}</h1>
<p class="state">Printer: <b>${html(printer.state)}</b>${printer.reasons.length ? ` — <span class="fault">${html(printer.reasons.join(', '))}</span>` : ''}
${printer.message ? ` (${html(printer.message)})` : ''}</p>
<p>Queues: ${model.queues.map((q) => `<code>${html(q)}</code>`).join(', ')}. Faults are set with <code>POST /api/faults</code>; jobs are sent with <code>POST /api/jobs</code>.</p>
<table><thead><tr><th>Job</th><th>Queue</th><th>Owner</th><th>Name</th><th>Pages × copies</th><th>State</th><th>Printed</th><th>What came out</th></tr></thead><tbody>
${jobs.map(row).join('\n')}
</tbody></table></body></html>`;
}

function row(job: SimulatedJob): string {
  const printed =
    job.impressionsCompleted > 0 ? Math.min(job.pages, job.impressionsCompleted, SHOWN_PAGES) : 0;
  const images = Array.from(
    { length: printed },
    (_, i) => `<img alt="page ${i + 1} of job ${job.id}" src="/api/jobs/${job.id}/pages/${i + 1}.png">`,
  ).join('');
  return `<tr class="${html(job.state.replace('pending-held', 'held'))}"><td>${job.id}</td><td>${html(job.queue)}</td><td>${html(job.owner)}</td><td>${html(job.name)}</td>
<td>${job.pages} × ${job.copies}</td><td>${html(job.state)}<br><small>${html(job.reasons.join(', '))}</small></td>
<td>${job.impressionsCompleted}</td><td class="pages">${images}</td></tr>`;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
