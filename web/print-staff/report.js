/**
 * The print desk's daily cash report, drawn as tables: the money in and out, with what each line is
 * in words, and each queue's printing.
 */
import { money } from '/common/money.js';
import { SOURCES } from './words.js';

/** A table of rows of cells (the first row its head). */
function table(rows) {
  const element = document.createElement('table');
  const head = document.createElement('thead');
  const body = document.createElement('tbody');
  rows.forEach((cells, index) => {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const td = document.createElement(index === 0 ? 'th' : 'td');
      td.textContent = text;
      tr.append(td);
    }
    (index === 0 ? head : body).append(tr);
  });
  element.append(head, body);
  return element;
}

/**
 * The day's cash report as the desk reads it: the money in and out in the currency, with what each
 * line is in words, and each queue's printing, drawn into `out`. It was shown as the API's JSON
 * ('totalMinor': 250).
 */
export function showReport(report, out) {
  const m = (minor) => money(minor, report.currency);
  const day = new Date(`${report.date}T12:00:00`).toLocaleDateString(undefined, { dateStyle: 'long' });
  const heading = document.createElement('h3');
  heading.textContent = `Money on ${day}`;
  const sources = Object.entries(report.deposits.bySource).map(([source, minor]) => [
    `— ${SOURCES[source] ?? source}`,
    '',
    m(minor),
  ]);
  const parts = [
    heading,
    table([
      ['', 'How many', 'Amount'],
      ['Top-ups', String(report.deposits.count), m(report.deposits.totalMinor)],
      ...sources,
      ['Paid out', String(report.payouts.count), m(report.payouts.totalMinor)],
      ['Refunds', String(report.refunds.count), m(report.refunds.totalMinor)],
      ['Corrections', String(report.adjustments.count), m(report.adjustments.totalMinor)],
    ]),
  ];
  const printing = document.createElement('h3');
  printing.textContent = 'Printing';
  parts.push(printing);
  if (report.queues.length === 0) {
    const none = document.createElement('p');
    none.textContent = 'Nothing was printed on this day.';
    parts.push(none);
  } else
    parts.push(
      table([
        ['Queue', 'Pages', 'Charged', 'Refunded', 'Income'],
        ...report.queues.map((queue) => [
          queue.queue,
          String(queue.impressions),
          m(queue.chargedMinor),
          m(queue.refundedMinor),
          m(queue.incomeMinor),
        ]),
      ]),
    );
  out.replaceChildren(...parts);
}
