/**
 * The patron's jobs as the station lists them: one row each with page one, pages, price, what
 * stops it being printed and its Print button; page ones drawn once per job.
 */
import { money } from '/common/money.js';
import { call } from '/common/print-api.js';
import { capitalised, jobProblem } from './words.js';

/** A job's key in the list: its queue and job id. */
export const keyOf = (job) => `${job.queue}/${job.jobId}`;

/** Ids for the rows' problems, which describe their Print buttons. */
let problemIds = 0;

/** A job's Print button as a screen reader names it: 'Print “Essay”, 2 pages, 0.20 EUR'. */
function printName(job) {
  const pages =
    job.pages === null
      ? 'pages not known'
      : `${job.pages} page${job.pages === 1 ? '' : 's'}${job.copies > 1 ? ` × ${job.copies} copies` : ''}`;
  const cost = job.quote ? `, ${money(job.quote.amountMinor, job.quote.currency)}` : '';
  return `Print “${job.name}”, ${pages}${cost}`;
}

/** One job's row; `disabled` says whether its Print can be pressed now, `onPrint` what a press does. */
export function jobRow(job, { disabled, onPrint }) {
  const li = document.createElement('li');
  li.className = 'job';
  li.dataset.job = `${job.queue}/${job.jobId}`;
  const image = document.createElement('img');
  image.alt = `Page one of ${job.name}`;
  const what = document.createElement('div');
  what.className = 'what';
  const pages =
    job.pages === null ? 'pages not known' : `${job.pages} page${job.pages === 1 ? '' : 's'} × ${job.copies}`;
  what.innerHTML = '<div class="name"></div><div class="detail"></div><div class="problem"></div>';
  what.querySelector('.name').textContent = job.name;
  what.querySelector('.detail').textContent =
    `${pages}${job.color ? ', colour' : ''}${job.sides.startsWith('two') ? ', two-sided' : ''}`;
  what.querySelector('.problem').textContent = job.problem ? capitalised(jobProblem(job.problem)) : '';
  const cost = document.createElement('div');
  cost.className = 'cost';
  cost.textContent = job.quote ? money(job.quote.amountMinor, job.quote.currency) : '';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'big primary';
  button.textContent = 'Print';
  // Every job's button was read as "Print" alone: a screen-reader user could not tell which document
  // it printed. Named by the document, its pages and its price; described by what stops it, if anything.
  button.setAttribute('aria-label', printName(job));
  if (job.problem) {
    const problem = what.querySelector('.problem');
    problem.id = `job-problem-${++problemIds}`;
    button.setAttribute('aria-describedby', problem.id);
  }
  button.disabled = disabled;
  button.addEventListener('click', onPrint);
  li.append(image, what, cost, button);
  return li;
}

/**
 * Page ones of the listed jobs, drawn once each: the list shown again (a job counted meanwhile)
 * does not ask again. `session()` is the patron's session now; a page one that comes back after
 * Done is not shown to the next person.
 */
export function pageOnes({ token, session }) {
  const drawn = new Map();
  return {
    clear: () => drawn.clear(),
    async show(job) {
      const key = keyOf(job);
      try {
        if (!drawn.has(key)) {
          const mine = session();
          const answer = await call(
            'POST',
            '/api/v1/print/station/thumbnail',
            { session: mine, queue: job.queue, jobId: job.jobId },
            token,
          );
          if (!answer.png || session() !== mine) return;
          drawn.set(key, `data:image/png;base64,${answer.png}`);
        }
        const image = document.querySelector(`[data-job="${key}"] img`);
        if (image) image.src = drawn.get(key);
      } catch {}
    },
  };
}
