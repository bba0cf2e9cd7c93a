/**
 * A print-release desk as its tests drive it: a patron's job held at the print server with its pages
 * counted, Print pressed for it at the release station (over HTTP), and the print desk page
 * (`/print-staff`) open on the patron's account (in Chromium).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { JobRequest, PrintServerSimulator } from '../../simulators/print-server/index.js';
import { type ApiAnswer, callApi } from './api-call.js';
import { until } from './until.js';

/**
 * The job sent to the print server as a library PC sends it (`job.user`, the PC's login, is the
 * patron's barcode), and waited for until the release station lists it with its pages counted for
 * the patron logged in with `pin` on the desk at `api` (`http://host:port`): its id, and the station's session.
 */
export async function heldAtStation(
  api: string,
  server: PrintServerSimulator,
  pin: string,
  job: JobRequest,
): Promise<{ jobId: number; session: string }> {
  const jobId = await server.submit(job);
  const login = await callApi(api, 'POST', '/api/v1/print/station/login', { patron: job.user, pin });
  if (login.status !== 200)
    throw new Error(`the station login was refused ${login.status}: ${JSON.stringify(login.json)}`);
  const session = login.json.session as string;
  await until(
    async () => {
      const { jobs } = (await callApi(api, 'POST', '/api/v1/print/station/jobs', { session })).json;
      return jobs.some((j: { jobId: number; pages: number | null }) => j.jobId === jobId && j.pages !== null)
        ? true
        : undefined;
    },
    20_000,
    `job ${jobId} was never counted`,
    50,
  );
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
