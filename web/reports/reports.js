/**
 * The desk report for a coordinator: when the desk is busy (heatmaps by hour of the week),
 * circulation, refusals, visitors and alarms, printing and money, device availability — for a
 * chosen period, beside the period before it. Built only on GET /api/v1/stats/measures (staff or
 * monitor scope); every chart has its numbers as a table and as CSV under it. Charts are drawn by
 * Chart.js, served by Carrel itself (no CDN).
 */
import { ApiClient, Problem, takeToken } from '/common/carrel-api.js';
import {
  dayAfter,
  deskDay,
  deskMidnight,
  deskZone,
  followDeskDay,
  heardDeskZone,
} from '/common/desk-clock.js';
import { amount, exponentOf } from '/common/money.js';

const token = takeToken('carrel.reports.token', location, sessionStorage, history);
const api = new ApiClient(location.origin, token);
const $ = (id) => document.getElementById(id);
const PALETTE = ['#0b5cad', '#e07b00', '#1e8a3a', '#a4231c', '#6f42c1', '#00838f', '#8d6e63', '#5f6b76'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The channels a terminal belongs to, as the configuration names its token or relay account. */
const CHANNELS = {
  'self-service': 'self-service (kiosks, self-checks)',
  staff: 'staffed desk',
  other: 'terminals the configuration does not name',
};

const PRINT_MONEY = { 'print.income': 'income', 'print.refunded': 'refunds', 'print.payouts': 'payouts' };

/** Each chart: what it asks the API, how its rows become series, how it is drawn. */
const CHARTS = [
  {
    id: 'circulation',
    title: 'Circulation per day, by kind',
    query: { measure: 'circulation.transactions', period: 'day', groupBy: 'kind', where: 'outcome:ok' },
    series: (row) => row.dims.kind,
    stacked: true,
  },
  {
    id: 'channels',
    title: 'Self-service and the staffed desk, per day',
    query: { measure: 'circulation.transactions', period: 'day', groupBy: 'channel', where: 'outcome:ok' },
    series: (row) => CHANNELS[row.dims.channel] ?? CHANNELS.other,
    stacked: true,
    legend: true,
  },
  {
    id: 'terminals',
    title: 'Transactions by terminal (self-checks and desk clients)',
    query: { measure: 'circulation.transactions', period: 'total', groupBy: 'terminal' },
    label: (row) => row.dims.terminal || '(none)',
    horizontal: true,
  },
  {
    id: 'refusals',
    title: 'What stops patrons: refusals by reason',
    query: {
      measure: 'circulation.transactions',
      period: 'total',
      groupBy: 'reason',
      where: 'outcome:refused',
    },
    label: (row) => row.dims.reason || '(none)',
    horizontal: true,
  },
  {
    id: 'offline',
    title: 'Transactions taken offline per day',
    query: { measure: 'circulation.transactions', period: 'day', where: 'offline:yes' },
    series: () => 'offline',
  },
  {
    id: 'visitors',
    title: 'Visitors per day',
    query: { measure: 'gate.visitors_in,gate.visitors_out', period: 'day' },
    series: (row) => (row.measure === 'gate.visitors_in' ? 'in' : 'out'),
    type: 'line',
  },
  {
    id: 'alarms',
    title: 'Gate alarms per day, by reason',
    query: { measure: 'gate.alarms', period: 'day', groupBy: 'reason' },
    series: (row) => row.dims.reason,
    stacked: true,
  },
  {
    id: 'pages',
    title: 'Pages printed per day, by queue and colour',
    query: { measure: 'print.pages', period: 'day', groupBy: 'queue,colour' },
    series: (row) => (row.dims.colour ? `${row.dims.queue} (${row.dims.colour})` : row.dims.queue),
    legend: true,
    stacked: true,
  },
  {
    id: 'print-money',
    title: 'Print income, refunds and payouts per day',
    query: { measure: 'print.income,print.refunded,print.payouts', period: 'day' },
    series: (row) => `${PRINT_MONEY[row.measure]} (${row.dims.currency})`,
    money: true,
  },
  {
    id: 'cash',
    title: 'Cash taken per day, by device',
    query: { measure: 'cash.taken', period: 'day', groupBy: 'device' },
    series: (row) => `${row.dims.device} (${row.dims.currency})`,
    stacked: true,
    legend: true,
    money: true,
  },
  {
    id: 'fees',
    title: 'Fees paid, by type',
    query: { measure: 'payments.fees_paid', period: 'total', groupBy: 'type' },
    label: (row) => `${row.dims.type} (${row.dims.currency})`,
    money: true,
    horizontal: true,
  },
  {
    id: 'cards',
    title: 'Library cards issued per day (reprints of lost or damaged cards apart)',
    query: { measure: 'cards.issued', period: 'day', groupBy: 'reprint' },
    series: (row) => (row.dims.reprint === 'yes' ? 'reprints' : 'new cards'),
    stacked: true,
  },
  {
    id: 'availability',
    title: 'Device availability (share of the time Carrel ran)',
    query: { measure: 'device.minutes_online,device.minutes_observed', period: 'total', groupBy: 'device' },
    availability: true,
    horizontal: true,
  },
];

/** The tiles at the top: this period's total, and the period before. */
const TOTALS = [
  { measure: 'gate.visitors_in', label: 'Visitors' },
  { measure: 'circulation.transactions', label: 'Transactions' },
  { measure: 'gate.alarms', label: 'Gate alarms' },
  { measure: 'print.pages', label: 'Pages printed' },
  { measure: 'print.jobs', label: 'Print jobs' },
  { measure: 'print.refunds', label: 'Jobs refunded' },
  { measure: 'print.income', label: 'Print income', money: true },
  { measure: 'print.refunded', label: 'Print refunds', money: true },
  { measure: 'cash.taken', label: 'Cash taken', money: true },
  { measure: 'payments.fees_paid', label: 'Fees paid', money: true },
  { measure: 'cards.issued', label: 'Cards issued' },
];

const charts = new Map();

function showProblem(text) {
  $('problem').textContent = text ?? '';
  $('problem').hidden = !text;
}

/**
 * Minor units as money in the currency's own decimals (web/common/money.js): 1250 EUR → "€12.50",
 * 500 JPY → "¥500", 1250 KWD → "KWD 1.250". Without a currency (nothing counted), the number alone.
 */
function money(minor, currency) {
  if (!currency) return amount(minor, currency);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(
      minor / 10 ** exponentOf(currency),
    );
  } catch {
    return `${amount(minor, currency)} ${currency}`;
  }
}

/** Minor units as the currency's whole units, for a chart's axis: 1250 EUR → 12.5, 500 JPY → 500. */
const inUnits = (minor, currency) => minor / 10 ** exponentOf(currency);

/**
 * The chosen days at the desk (`2026-12-01`, `2026-12-07`), and as instants: from the desk's
 * midnight that starts the first to the one after the last, in the desk's time zone — not this
 * PC's, which may be another (a regional IT office, a laptop left on its home zone).
 */
function chosenRange() {
  const first = $('from').value;
  const last = $('to').value;
  if (!first || !last) throw new Problem({ code: 'range', detail: 'Choose the days: "From" and "To".' });
  if (last < first) throw new Problem({ code: 'range', detail: '"To" must not be before "From".' });
  return { first, last, from: deskMidnight(first), to: deskMidnight(dayAfter(last, 1)) };
}

/**
 * The same number of days just before the range, midnight to midnight at the desk: counted in
 * days, not in hours, so that a clock change between them (a 23- or 25-hour day) does not start
 * it at 01:00.
 */
function rangeBefore(range, days) {
  return { from: deskMidnight(dayAfter(range.first, -days)), to: range.from };
}

function daysOf(range) {
  const days = [];
  for (let day = range.first; day <= range.last; day = dayAfter(day, 1)) days.push(day);
  return days;
}

/** A query for the range, its days cut in the desk's time zone. */
function params(range, query) {
  return new URLSearchParams({
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    timeZone: deskZone(),
    ...query,
  });
}

async function measures(range, query) {
  return api.call('GET', `/api/v1/stats/measures?${params(range, query)}`);
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function fillTable(table, head, rows) {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  for (const name of head) tr.append(cell('th', name));
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const line = document.createElement('tr');
    for (const [index, value] of row.entries())
      line.append(cell('td', String(value), index > 0 ? 'n' : undefined));
    tbody.append(line);
  }
  table.replaceChildren(thead, tbody);
}

/** Rows of a report as chart data: labels (days, or what `label` names) and one dataset per series. */
function shape(spec, report, days) {
  if (spec.availability) {
    const byDevice = new Map();
    for (const row of report.rows) {
      const entry = byDevice.get(row.dims.device) ?? { online: 0, observed: 0 };
      if (row.measure === 'device.minutes_online') entry.online += row.value;
      else entry.observed += row.value;
      byDevice.set(row.dims.device, entry);
    }
    const labels = [...byDevice.keys()].sort();
    const shares = labels.map((device) => {
      const { online, observed } = byDevice.get(device);
      return observed ? Math.round((online / observed) * 1000) / 10 : 0;
    });
    return {
      labels,
      datasets: [{ label: '% online', values: shares }],
      table: {
        head: ['Device', '% online', 'Minutes online', 'Minutes watched'],
        rows: labels.map((device, i) => [
          device,
          shares[i],
          byDevice.get(device).online,
          byDevice.get(device).observed,
        ]),
      },
      total: labels.length,
    };
  }
  // Money is drawn in the currency's whole units and written with its own decimals (a yen has
  // none, a dinar three): each row and series carries its currency.
  const drawn = (value, currency) => (spec.money ? inUnits(value, currency) : value);
  const written = (value, currency) => (spec.money ? amount(value, currency) : value);
  if (spec.label) {
    const rows = report.rows.map((row) => [spec.label(row), row.value, row.dims.currency]);
    rows.sort((a, b) => b[1] - a[1]);
    return {
      labels: rows.map((row) => row[0]),
      datasets: [{ label: spec.title, values: rows.map(([, value, currency]) => drawn(value, currency)) }],
      table: {
        head: ['', spec.money ? 'Amount' : 'Count'],
        rows: rows.map(([label, value, currency]) => [label, written(value, currency)]),
      },
      total: rows.reduce((sum, row) => sum + row[1], 0),
    };
  }
  const series = new Map();
  const currencyOf = new Map();
  for (const row of report.rows) {
    const name = spec.series(row);
    const values = series.get(name) ?? new Map();
    values.set(row.period, (values.get(row.period) ?? 0) + row.value);
    series.set(name, values);
    currencyOf.set(name, row.dims.currency);
  }
  const names = [...series.keys()].sort();
  const on = (name, day) => series.get(name).get(day) ?? 0;
  return {
    labels: days,
    datasets: names.map((name) => ({
      label: name,
      values: days.map((day) => drawn(on(name, day), currencyOf.get(name))),
    })),
    table: {
      head: ['Day', ...names],
      rows: days.map((day) => [day, ...names.map((name) => written(on(name, day), currencyOf.get(name)))]),
    },
    total: report.rows.reduce((sum, row) => sum + row.value, 0),
  };
}

function card(spec) {
  let element = document.querySelector(`[data-chart="${spec.id}"]`);
  if (!element) {
    element = $('chart-card').content.firstElementChild.cloneNode(true);
    element.dataset.chart = spec.id;
    element.querySelector('h2').textContent = spec.title;
    const csv = element.querySelector('.csv');
    // Eleven charts have one each: a screen reader's list of buttons says whose figures each saves.
    csv.setAttribute('aria-label', `CSV: ${spec.title}`);
    csv.addEventListener('click', () => void downloadCsv(spec));
    element.querySelector('summary').setAttribute('aria-label', `Numbers: ${spec.title}`);
    $('charts').append(element);
  }
  return element;
}

function draw(spec, data) {
  const element = card(spec);
  element.dataset.total = String(data.total);
  charts.get(spec.id)?.destroy();
  const chart = new window.Chart(element.querySelector('canvas'), {
    type: spec.type ?? 'bar',
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, i) => ({
        label: set.label,
        data: set.values,
        backgroundColor: PALETTE[i % PALETTE.length],
        borderColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? 'y' : 'x',
      plugins: { legend: { display: data.datasets.length > 1 || Boolean(spec.legend) } },
      scales: {
        x: { stacked: Boolean(spec.stacked), beginAtZero: true },
        y: { stacked: Boolean(spec.stacked), beginAtZero: true, ...(spec.availability ? { max: 100 } : {}) },
      },
    },
  });
  charts.set(spec.id, chart);
  fillTable(element.querySelector('.numbers'), data.table.head, data.table.rows);
  element.querySelector('.empty').hidden = data.datasets.some((set) => set.values.some((value) => value));
  firstChartDrawn();
}

function heatmap(table, report) {
  const grid = Array.from({ length: 7 }, () => new Array(24).fill(0));
  for (const row of report.rows) {
    const [weekday, hour] = row.period.split('-').map(Number);
    grid[weekday - 1][hour] += row.value;
  }
  const max = Math.max(1, ...grid.flat());
  const head = document.createElement('tr');
  head.append(cell('th', ''));
  for (let hour = 0; hour < 24; hour++) head.append(cell('th', hour % 3 === 0 ? String(hour) : ''));
  const rows = grid.map((hours, day) => {
    const tr = document.createElement('tr');
    tr.append(cell('th', WEEKDAYS[day]));
    hours.forEach((value, hour) => {
      const td = cell('td', value ? String(value) : '');
      td.title = `${WEEKDAYS[day]} ${hour}:00–${hour + 1}:00: ${value}`;
      td.style.backgroundColor = `rgba(11, 92, 173, ${(value / max) * 0.9})`;
      td.style.color = value / max > 0.5 ? '#fff' : '#1b1f24';
      tr.append(td);
    });
    return tr;
  });
  table.replaceChildren(head, ...rows);
  table.dataset.total = String(grid.flat().reduce((sum, value) => sum + value, 0));
  firstChartDrawn();
}

function firstChartDrawn() {
  if (!performance.getEntriesByName('carrel-first-chart').length) performance.mark('carrel-first-chart');
}

function sums(report) {
  const found = new Map();
  for (const row of report.rows) {
    const key = row.dims.currency ? `${row.measure}|${row.dims.currency}` : row.measure;
    found.set(key, (found.get(key) ?? 0) + row.value);
  }
  return found;
}

function totals(now, before) {
  const current = sums(now);
  const previous = sums(before);
  // A money tile with nothing counted is written in the desk's currency as the other tiles show it
  // (not in euros on a yen desk), or as a bare number when no money was counted at all.
  const deskCurrency = [...current.keys(), ...previous.keys()].map((key) => key.split('|')[1]).find(Boolean);
  const items = [];
  for (const tile of TOTALS) {
    const keys = [...current.keys(), ...previous.keys()].filter((key) => key.split('|')[0] === tile.measure);
    for (const key of keys.length ? [...new Set(keys)] : [tile.measure]) {
      const currency = key.split('|')[1];
      const value = current.get(key) ?? 0;
      const was = previous.get(key) ?? 0;
      const li = document.createElement('li');
      li.dataset.measure = tile.measure;
      li.dataset.value = String(value);
      const format = (n) => (tile.money ? money(n, currency ?? deskCurrency) : n.toLocaleString());
      const change = was ? ` (${value >= was ? '+' : ''}${Math.round(((value - was) / was) * 100)} %)` : '';
      li.append(
        cell('span', tile.label, 'label'),
        cell('span', format(value), 'value'),
        cell('span', `period before: ${format(was)}${change}`, 'change'),
      );
      items.push(li);
    }
  }
  $('totals').replaceChildren(...items);
}

async function downloadCsv(spec) {
  try {
    const range = chosenRange();
    const query = spec ? { ...spec.query, format: 'csv' } : { period: 'day' };
    const path = spec ? '/api/v1/stats/measures' : '/api/v1/stats/export';
    const text = await api.call('GET', `${path}?${params(range, query)}`, undefined, { accept: 'text/csv' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    link.download = `carrel-${spec?.id ?? 'statistics'}-${$('from').value}-${$('to').value}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    showProblem(error instanceof Problem ? error.message : String(error));
  }
}

async function show() {
  showProblem();
  document.body.dataset.state = 'loading';
  try {
    const range = chosenRange();
    const days = daysOf(range);
    const before = rangeBefore(range, days.length);
    $('about').textContent =
      `${days.length} day${days.length === 1 ? '' : 's'}, ${days[0]} to ${days.at(-1)}, in ${deskZone()}; compared with the ${days.length} days before.`;
    // Every card is laid out at once and drawn as its own answer arrives, the busiest-hours
    // heatmaps first: a year of data then shows something within a second, not after the slowest.
    for (const spec of CHARTS) card(spec);
    const tiles = { measure: TOTALS.map((tile) => tile.measure).join(','), period: 'total' };
    await Promise.all([
      measures(range, { measure: 'gate.visitors_in', period: 'weekday-hour' }).then((report) =>
        heatmap($('heat-visitors'), report),
      ),
      measures(range, { measure: 'circulation.transactions', period: 'weekday-hour' }).then((report) =>
        heatmap($('heat-transactions'), report),
      ),
      ...CHARTS.map(async (spec) => draw(spec, shape(spec, await measures(range, spec.query), days))),
      Promise.all([measures(range, tiles), measures(before, tiles)]).then(([now, was]) => totals(now, was)),
    ]);
    document.body.dataset.state = 'ready';
  } catch (error) {
    document.body.dataset.state = 'failed';
    if (error instanceof Problem && (error.status === 401 || error.status === 403))
      showProblem('The report needs a staff or monitor token: open it as /reports#token=…');
    else showProblem(error instanceof Problem ? error.message : String(error));
  }
}

$('range').addEventListener('submit', (event) => {
  event.preventDefault();
  void show();
});
$('print').addEventListener('click', () => window.print());
$('export').addEventListener('click', () => void downloadCsv());

/**
 * The last seven days up to today at the desk, unless the address names the days. The desk is
 * asked its time and time zone first: this PC's clock may be a day off the desk's (no RTC
 * battery), and its zone another (IT at a regional office) — the days are the desk's, counted in
 * its zone, whichever PC shows them.
 */
async function start() {
  const query = new URLSearchParams(location.search);
  let shown = false;
  const askDesk = async () => {
    let timeZone;
    try {
      ({ timeZone } = await api.call('GET', '/api/v1/auth/caller'));
    } catch {
      return; // said by the report's own calls, if they fail too
    }
    // Heard only now (the first ask went unanswered): the days shown are read again in its zone.
    if (heardDeskZone(timeZone) && shown) void show();
  };
  await askDesk();
  const today = deskDay();
  $('from').value = query.get('from') ?? dayAfter(today, -6);
  $('to').value = query.get('to') ?? today;
  // Left open over the desk's midnight (or woken after it), a report up to today moves on with the
  // day, and is read again: it showed, and asked for, yesterday as today. Days staff chose stay.
  followDeskDay(askDesk, (day, was) => {
    if (query.has('to') || $('to').value !== was) return;
    const days = Math.round((Date.parse(day) - Date.parse(was)) / 86_400_000);
    $('from').value = dayAfter($('from').value, days);
    $('to').value = day;
    void show();
  });
  shown = true;
  await show();
}
void start();
