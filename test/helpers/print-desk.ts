/**
 * A print-release desk as its tests drive it: the release station logged in, a patron's job held at
 * the print server and waited for until it is counted (at the station, or at the print desk), Print
 * pressed for it at the release station (over HTTP), and the print desk page (`/print-staff`) open on
 * the patron's account (in Chromium).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { JobRequest, PrintServerSimulator } from '../../simulators/print-server/index.js';
import type { PrintJobView } from '../../src/gateway/contracts/print-accounts.js';
import { type ApiAnswer, callApi } from './api-call.js';
import { until } from './until.js';

/**
 * How long a job may take to be counted before a test gives up: pdf.js counts the pages in a worker,
 * and on a loaded machine (two cores, Chromium and other desks beside) it has taken many seconds.
 * The longest any of the files that waited had (30 s); a test whose point is how soon a job is
 * counted says its own.
 */
const COUNTED_WITHIN_MS = 30_000;

/** The release station logged in on the desk at `api` (`http://host:port`) as `patron` with `pin`: its session. */
export async function stationLogin(api: string, patron: string, pin: string): Promise<string> {
  const login = await callApi(api, 'POST', '/api/v1/print/station/login', { patron, pin });
  if (login.status !== 200)
    throw new Error(`the station login was refused ${login.status}: ${JSON.stringify(login.json)}`);
  return login.json.session as string;
}

/**
 * Waits until the release station lists job `jobId` (of `queue`, when the desk has several) to the
 * patron logged in with `session`, its pages counted — and so priced, and Print offered: the job as
 * listed. `timeoutMs` where how soon it is listed is what the test is about.
 */
export async function countedAtStation(
  api: string,
  session: string,
  jobId: number,
  { queue, timeoutMs = COUNTED_WITHIN_MS }: { queue?: string; timeoutMs?: number } = {},
): Promise<PrintJobView> {
  return until(
    async () => {
      const { jobs } = (await callApi(api, 'POST', '/api/v1/print/station/jobs', { session })).json as {
        jobs: PrintJobView[];
      };
      return jobs.find(
        (j) => j.jobId === jobId && (queue === undefined || j.queue === queue) && j.pages !== null,
      );
    },
    timeoutMs,
    `job ${jobId} was never listed at the station with its pages counted`,
    50,
  );
}

/**
 * Waits until the print desk (`GET /api/v1/print/jobs`, staff) lists every job of `jobIds` (of
 * `queue`, when the desk has several) counted — its pages known, or a reason they never will be (a
 * document that cannot be read or that the print server keeps from the desk): the jobs as listed,
 * in the order asked for.
 */
export async function countedAtDesk(
  api: string,
  jobIds: readonly number[],
  { queue }: { queue?: string } = {},
): Promise<PrintJobView[]> {
  const counted = (job: PrintJobView) =>
    job.pages !== null || (job.problem !== null && job.problem.code !== 'print_job_pages_unknown');
  return until(
    async () => {
      const { jobs } = (await callApi(api, 'GET', '/api/v1/print/jobs')).json as { jobs: PrintJobView[] };
      const found = jobIds.map((id) =>
        jobs.find((j) => j.jobId === id && (queue === undefined || j.queue === queue) && counted(j)),
      );
      return found.every((job) => job !== undefined) ? (found as PrintJobView[]) : undefined;
    },
    COUNTED_WITHIN_MS,
    `the print desk never listed job ${jobIds.join(', ')} counted`,
    50,
  );
}

/**
 * The job sent to the print server as a library PC sends it (`job.user`, the PC's login, is the
 * patron's barcode), and waited for until the release station lists it with its pages counted for
 * the patron logged in with `pin` on the desk at `api`: its id, and the station's session.
 */
export async function heldAtStation(
  api: string,
  server: PrintServerSimulator,
  pin: string,
  job: JobRequest,
): Promise<{ jobId: number; session: string }> {
  const jobId = await server.submit(job);
  const session = await stationLogin(api, job.user, pin);
  await countedAtStation(api, session, jobId);
  return { jobId, session };
}

/** Print pressed at the release station for a held job of `queue` (a request id of its own): the answer. */
export function releaseAtStation(
  api: string,
  session: string,
  jobId: number,
  queue = 'public-bw',
): Promise<ApiAnswer> {
  return callApi(api, 'POST', '/api/v1/print/station/release', {
    session,
    requestId: randomUUID(),
    queue,
    jobId,
  });
}

/** On the print desk page open on `page`: the patron's card number typed, Find pressed, and the account shown. */
export async function findOnPrintDesk(page: Page, patron: string): Promise<void> {
  await page.locator('#patron').fill(patron);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.locator('#account').waitFor({ state: 'visible', timeout: 10_000 });
}

/** The print desk page of the desk at `api` opened on `page`, on the patron's account. */
export async function openPrintDesk(page: Page, api: string, patron: string): Promise<void> {
  await page.goto(`${api}/print-staff`);
  await findOnPrintDesk(page, patron);
}
