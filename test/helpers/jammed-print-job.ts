/**
 * A released print job the printer jams on, as the print release tests drive it on the simulated
 * desk (its print server printing slowly, `slowPrinting`): a 10-page job (1.00 EUR) released at the
 * station and the printer stopped once three or more pages are out; staff refunding at the desk the
 * pages that did not come out, the print server holding the Cancel-Job meanwhile if the test says
 * so; and the release as the desk shows it while the printer has the job and once it has ended it.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { PrintServerSimulator } from '../../simulators/print-server/index.js';
import { type ApiAnswer, callApi } from './api-call.js';
import { heldAtStation, releaseAtStation } from './print-desk.js';
import { until } from './until.js';

/** A release as the desk's API shows it (`/print/accounts/find`). */
export interface JammedRelease {
  id: string;
  state: string;
  amountMinor: number;
  refundedMinor: number;
  printedImpressions: number | null;
  outcome: string | null;
  printer?: { state: string; impressionsCompleted: number | null; message: string };
  restCancelled?: {
    refundedAfter: number;
    ended: boolean;
    printedAfterRefund: number | null;
    chargedAfterRefundMinor: number;
    message: string;
  };
}

/** The desk the jobs are printed on: its API (`http://host:port`), its print server, the patron and PIN. */
export interface JammingDesk {
  api: () => string;
  server: () => PrintServerSimulator;
  patron: string;
  pin: string;
}

/** Polls `probe` every 50 ms for up to 15 s. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  until(probe, 15_000, `timed out waiting for ${what}`, 50);

export function jammedPrintJobs(desk: JammingDesk) {
  const post = (path: string, body: unknown) => callApi(`${desk.api()}/api/v1`, 'POST', path, body);
  const { patron } = desk;

  const releaseAtDesk = async (id: string): Promise<JammedRelease> =>
    (await post('/print/accounts/find', { patron })).json.releases.find((r: JammedRelease) => r.id === id);

  /** 5.00 EUR paid in at the desk for the patron: enough for a jammed job's 1.00 EUR. */
  async function deposit(): Promise<void> {
    expect(
      (
        await post('/print/accounts/deposit', {
          requestId: randomUUID(),
          patron,
          amountMinor: 500,
          currency: 'EUR',
        })
      ).status,
    ).toBe(201);
  }

  /** The printer stopped once three or more pages of released job `jobId` are out: the pages out. */
  async function jam(jobId: number): Promise<number> {
    await waitFor('three pages out', () =>
      (desk.server().job(jobId)?.impressionsCompleted ?? 0) >= 3 ? true : undefined,
    );
    desk.server().setFaults({ stopped: true });
    expect(desk.server().job(jobId)?.state).toBe('processing-stopped');
    return desk.server().job(jobId)!.impressionsCompleted;
  }

  /**
   * A job of 10 pages (1.00 EUR) released, and the printer stopped once three or more are out: the
   * release, the job, the pages out, and the station's session and request id (to send Print again).
   */
  async function releaseAndJam(title = 'Thesis'): Promise<{
    releaseId: string;
    jobId: number;
    printed: number;
    session: string;
    requestId: string;
  }> {
    await deposit();
    const { jobId, session } = await heldAtStation(desk.api(), desk.server(), desk.pin, {
      user: patron,
      title,
      pages: 10,
    });
    const released = await releaseAtStation(desk.api(), session, jobId);
    expect(released.status).toBe(200);
    expect(released.json.release.amountMinor).toBe(100);
    return {
      releaseId: released.json.release.id,
      jobId,
      printed: await jam(jobId),
      session,
      requestId: released.json.release.requestId,
    };
  }

  /** Waits until the desk has heard the printer stop on the release (it follows released jobs every 2 s): the release as the desk shows it then. */
  const heardStopped = (releaseId: string): Promise<JammedRelease> =>
    waitFor('the desk to hear the printer stopped', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.printer?.state === 'processing-stopped' ? release : undefined;
    });

  /**
   * Staff refund what the desk says did not come out of a jammed 10-page job, (10 − printed) × 0.10 EUR,
   * once the desk has heard the printer stopped: the refund's answer.
   */
  async function refundUnprinted(releaseId: string, printed: number): Promise<ApiAnswer> {
    await heardStopped(releaseId);
    const refund = await post('/print/releases/refund', {
      requestId: randomUUID(),
      releaseId,
      amountMinor: (10 - printed) * 10,
      reason: 'jammed: pages not printed',
    });
    expect(refund.status).toBe(200);
    return refund;
  }

  /**
   * Staff refund the pages a jammed job did not print while the print server holds the Cancel-Job
   * unanswered, and the jam is cleared meanwhile: pages come out after the refund until `takeCancel`
   * says so of the job, when the print server takes the Cancel-Job. The refund's answer.
   */
  async function refundAsPagesComeOut(
    releaseId: string,
    jobId: number,
    printed: number,
    takeCancel: (job: { state: string; impressionsCompleted: number }) => boolean,
  ): Promise<ApiAnswer> {
    const server = desk.server();
    server.setFaults({ stallCancel: true });
    const refunding = refundUnprinted(releaseId, printed);
    await waitFor('the Cancel-Job at the print server', () =>
      server.model.cancelsStalled > 0 ? true : undefined,
    );
    server.setFaults({ stopped: false });
    await waitFor('pages out after the refund', () => (takeCancel(server.job(jobId)!) ? true : undefined));
    server.setFaults({ stallCancel: false });
    return refunding;
  }

  /** Waits until the desk has heard the printer end the release's job: the release as the desk shows it then. */
  const settledAtDesk = (releaseId: string): Promise<JammedRelease> =>
    waitFor('the desk to hear the job ended', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.outcome !== null ? release : undefined;
    });

  return {
    deposit,
    jam,
    releaseAtDesk,
    releaseAndJam,
    heardStopped,
    refundUnprinted,
    refundAsPagesComeOut,
    settledAtDesk,
  };
}
