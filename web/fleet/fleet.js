/**
 * The fleet view for central IT: every desk on the broker, its devices and problems, and the
 * day's totals. Read-only. The server (`carrel fleet`) streams a snapshot of the fleet whenever
 * it changes (server-sent events over one fetch, so the token travels in a header); nothing is
 * polled. The page is rebuilt from each snapshot, text only (no HTML from the broker), and again
 * when its day turns: at local midnight, and when it is shown again (a PC woken in the morning),
 * since with every desk switched off for the night no snapshot comes to say it is a new day.
 * Its day is the fleet server's, not this PC's (a PC a day off would show the wrong day's
 * figures): each answer's `Date` tells the server's time, counted on here (desk-clock.js), and
 * asked again at once when the PC wakes from sleep.
 */
import { askDeskAfterSleep, deskDay, deskNow, heardDeskTime } from '/common/desk-clock.js';
// What a device is, in words: the dashboard's.
import { kindWords } from '/common/device-words.js';

const TOKEN_KEY = 'carrel.fleet.token';

function takeToken() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = hash.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

const token = takeToken();
const list = document.getElementById('desks');
const template = document.getElementById('desk-card');
let retryMs = 500;

function link(text, down) {
  const element = document.getElementById('link');
  element.textContent = text;
  element.classList.toggle('down', down);
}

function showProblem(message) {
  const problem = document.getElementById('problem');
  problem.textContent = message ?? '';
  problem.hidden = !message;
}

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
const plural = (n, word) => (n === 1 ? word : `${word}s`);
/** `YYYY-MM-DD` moved by `days`. */
function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
const dayText = (day) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC', dateStyle: 'medium' });
const set = (id, text) => {
  document.getElementById(id).textContent = text;
};

const deskName = (desk) => `${desk.site} / ${desk.gateway}`;
/** The id of a desk's card, which the lines of "Needs attention" link to. */
const cardId = (desk) => `desk:${desk.site}/${desk.gateway}`;
const sinceText = (desk) =>
  desk.status === 'online'
    ? `online since ${time(desk.since)}`
    : desk.status === 'offline'
      ? `offline, seen here ${time(desk.seen)}${desk.since ? ` (stopped ${time(desk.since)})` : ' (last will)'}`
      : 'no state published yet';
const problemText = (problem) => {
  const why = problem.reason ?? problem.lastError?.message ?? '';
  return `${problem.device}: ${problem.status}${why ? ` — ${why}` : ''}`;
};

function deskCard(desk) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.id = cardId(desk);
  card.dataset.desk = `${desk.site}/${desk.gateway}`;
  card.dataset.status = desk.status;
  card.querySelector('.name').textContent = deskName(desk);
  const status = card.querySelector('.status');
  status.textContent = desk.status;
  status.className = `status ${desk.status}`;
  card.querySelector('.since').textContent = sinceText(desk);
  const totals = desk.totals;
  // A desk switched off on an earlier day left that day's counts: said as that day's, not today's.
  const visitors = totals?.visitorsToday;
  const counted = `${totals?.alarmsToday} ${plural(totals?.alarmsToday, 'alarm')} · ${
    visitors === null || visitors === undefined ? '–' : visitors
  } ${plural(visitors, 'visitor')}`;
  card.querySelector('.counts').textContent = totals
    ? (desk.totalsToday ? `${counted} · ` : `on ${dayText(totals.day)}: ${counted}; now `) +
      `${totals.offlinePending} offline waiting` +
      (totals.offlineConflicts
        ? ` · ${totals.offlineConflicts} ${plural(totals.offlineConflicts, 'conflict')}`
        : '')
    : 'no totals published';
  const problems = card.querySelector('.problems');
  for (const problem of desk.problems) {
    const item = document.createElement('li');
    item.textContent = problemText(problem);
    problems.append(item);
  }
  const rows = card.querySelector('tbody');
  for (const device of desk.devices) {
    const row = document.createElement('tr');
    row.dataset.device = device.device;
    row.dataset.status = device.status;
    for (const text of [device.device, kindWords(device.kind), device.status]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    row.lastElementChild.className = `status ${device.status}`;
    rows.append(row);
  }
  return card;
}

/** Lines of "Needs attention" shown at most; the rest are counted (their cards are below). */
const ATTENTION_LINES = 10;

/**
 * The desks offline (or never heard from) and those online with a device problem, first thing on
 * the page, in words, each linking to its card: among forty desks, one gone offline is otherwise a
 * card far below, and the summary counts it without naming it. An offline desk's devices are as
 * it last reported them, so it is listed as offline only.
 */
function attention(fleet) {
  const rank = (desk) => (desk.status === 'offline' ? 0 : desk.status === 'unknown' ? 1 : 2);
  const desks = fleet.desks
    .filter((desk) => desk.status !== 'online' || desk.problems.length > 0)
    .sort((a, b) => rank(a) - rank(b));
  const lines = desks.slice(0, ATTENTION_LINES).map((desk) => {
    const item = document.createElement('li');
    item.dataset.desk = `${desk.site}/${desk.gateway}`;
    const name = document.createElement('a');
    name.href = `#${encodeURIComponent(cardId(desk))}`;
    name.textContent = deskName(desk);
    const shown = desk.problems.slice(0, 3).map(problemText);
    const more = desk.problems.length - shown.length;
    const what =
      desk.status === 'online'
        ? `${desk.problems.length} device ${plural(desk.problems.length, 'problem')}: ${shown.join('; ')}${more > 0 ? `; ${more} more` : ''}`
        : sinceText(desk);
    item.append(name, ` ${what}`);
    return item;
  });
  const left = desks.length - lines.length;
  if (left > 0) {
    const item = document.createElement('li');
    item.textContent = `and ${left} more ${plural(left, 'desk')} offline or with a problem (below)`;
    lines.push(item);
  }
  document.getElementById('attention-list').replaceChildren(...lines);
  document.getElementById('attention').hidden = desks.length === 0;
}

const COMPARED = ['transactions', 'refusals', 'visitors', 'alarms', 'pages', 'cards'];
/** The last snapshot as the server sent it. */
let received;
/** …and as of this page's today. */
let latest;

/**
 * The snapshot as of this page's today. The server says which day is today when it sends it: the
 * newest day an online desk counts for, else its own local day. While a desk is online it sends
 * new totals as its day turns, and the server a new snapshot; with none online nothing comes at
 * midnight, so the page moves to the new day itself (the server's day, as this page counts it on), as the server would have: a desk's counts
 * of an earlier day are no longer today's, nor summed in today's totals.
 */
function asOfToday(fleet) {
  const online = fleet.desks.some((desk) => desk.status === 'online' && desk.totals);
  const day = deskDay();
  if (online || day <= fleet.today) return fleet;
  const desks = fleet.desks.map((desk) => ({
    ...desk,
    totalsToday: desk.totals !== null && (desk.status === 'online' || desk.totals.day >= day),
  }));
  const counted = desks.filter((desk) => desk.totalsToday);
  const sum = (pick) => counted.reduce((total, desk) => total + (pick(desk.totals) ?? 0), 0);
  return {
    ...fleet,
    today: day,
    desks,
    totals: {
      ...fleet.totals,
      alarmsToday: sum((t) => t.alarmsToday),
      visitorsToday: sum((t) => t.visitorsToday),
    },
  };
}

let midnight;
/** Draws the page again just after the server's next midnight (in this PC's zone), and so on every night. */
function atMidnight() {
  clearTimeout(midnight);
  const now = new Date(deskNow());
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0, 1);
  midnight = setTimeout(() => {
    if (received) render(received);
    atMidnight();
  }, next - now);
}
atMidnight();

/** Draws the page again if its day has turned since it was drawn, and sets the midnight timer anew. */
function dayMaybeTurned() {
  if (received && asOfToday(received).today !== latest?.today) render(received);
  atMidnight();
}

// A PC asleep over midnight (its timers held) draws the new day as it is shown again…
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') dayMaybeTurned();
});
// …on the server's time, asked again at once: its performance.now() stood still while it slept.
askDeskAfterSleep(async () => {
  const sentAt = performance.now();
  const response = await fetch('/fleet/api/desks', { headers: authorization(), cache: 'no-store' });
  heardDeskTime(response.headers.get('date'), sentAt, performance.now());
  dayMaybeTurned();
});

/** Each desk's counts over the chosen last days, beside the others', with a bar for the eye. */
function compare(fleet) {
  const span = Number(document.getElementById('compare-span').value);
  const rows = fleet.desks.map((desk) => {
    const recent = desk.totals?.recent;
    // The span ends on the desk's own today while its counts are today's, else on the fleet's:
    // a desk switched off last night has nothing for today.
    const last = desk.totalsToday ? recent?.days.at(-1) : fleet.today;
    const first = last && addDays(last, 1 - span);
    const inSpan = recent?.days.map((day) => day >= first && day <= last);
    return {
      name: `${desk.site} / ${desk.gateway}`,
      counts: recent
        ? COMPARED.map((measure) =>
            recent.counts[measure].reduce((sum, n, i) => (inSpan[i] ? sum + n : sum), 0),
          )
        : null,
    };
  });
  const max = COMPARED.map((_, i) => Math.max(1, ...rows.map((row) => row.counts?.[i] ?? 0)));
  const cells = (name, counts, bars) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = name;
    tr.append(th);
    COMPARED.forEach((measure, i) => {
      const td = document.createElement('td');
      td.dataset.measure = measure;
      if (!counts) td.textContent = '–';
      else {
        td.textContent = counts[i].toLocaleString();
        if (bars) {
          const bar = document.createElement('span');
          bar.className = 'meter';
          bar.style.width = `${Math.round((counts[i] / max[i]) * 100)}%`;
          td.append(bar);
        }
      }
      tr.append(td);
    });
    return tr;
  };
  const table = document.getElementById('compare');
  table.tBodies[0].replaceChildren(
    ...rows.map((row) => {
      const tr = cells(row.name, row.counts, true);
      tr.dataset.desk = row.name.replace(' / ', '/');
      return tr;
    }),
  );
  const sums = COMPARED.map((_, i) => rows.reduce((sum, row) => sum + (row.counts?.[i] ?? 0), 0));
  table.tFoot.replaceChildren(cells('All desks', sums, false));
}

document.getElementById('compare-span').addEventListener('change', () => latest && compare(latest));

function render(snapshot) {
  received = snapshot;
  const fleet = asOfToday(snapshot);
  latest = fleet;
  compare(fleet);
  const t = fleet.totals;
  set('total-desks', `${t.desksOnline} of ${t.desks}`);
  set('total-problems', String(t.problems));
  set('total-alarms', String(t.alarmsToday));
  set('total-visitors', String(t.visitorsToday));
  set('total-offline', String(t.offlinePending));
  set('total-conflicts', String(t.offlineConflicts));
  set(
    'summary',
    `${t.desksOnline}/${t.desks} desks online · ${t.problems} device ${plural(t.problems, 'problem')} · ${t.offlinePending} offline waiting`,
  );
  attention(fleet);
  list.replaceChildren(...fleet.desks.map(deskCard));
  document.getElementById('empty').hidden = fleet.desks.length > 0;
  if (fleet.broker.connected) link(`Live · ${fleet.broker.url}`, false);
  // The broker is there and refuses the fleet view: what to mend, in the words of its log.
  else if (fleet.broker.refused)
    link(`Broker refuses this fleet view — last known. ${fleet.broker.refused}`, true);
  else link(`Broker ${fleet.broker.url} unreachable — last known`, true);
}

/** Reads `event:`/`data:` frames from the stream until it ends. */
async function follow(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data) {
        render(JSON.parse(data));
        retryMs = 500;
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

function authorization() {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function connect() {
  try {
    const sentAt = performance.now();
    const response = await fetch('/fleet/api/stream', {
      headers: { accept: 'text/event-stream', ...authorization() },
      cache: 'no-store',
    });
    // The server's time (its `Date`), before the first snapshot is drawn on it.
    heardDeskTime(response.headers.get('date'), sentAt, performance.now());
    atMidnight();
    if (response.status === 401 || response.status === 403) {
      showProblem('This fleet view needs its token: open it as …/fleet#token=…');
      link('Not allowed', true);
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    showProblem(undefined);
    await follow(response);
    link('Reconnecting…', true);
  } catch {
    link('Fleet server unreachable — retrying', true);
  }
  setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, 10_000);
}

connect();
