/**
 * What the fleet page's day tests share: the zone the fleet view and IT's PC are in, the days
 * around today there, a desk's retained totals as a desk publishes them, and `carrel fleet` run
 * in that zone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { CARREL_CLI } from '../../helpers/carrel-cli.js';

/** The fleet view's machine (and IT's PC) run in this zone; "today" is their day there. */
export const TIME_ZONE = 'Europe/Berlin';
export const dayIn = (time: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(time);
export const TODAY = dayIn(Date.now());
export const addDays = (day: string, days: number) => {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
};

/** A desk's retained totals for `day`, its recent days ending there with `perDay` transactions each. */
export function totals(day: string, alarms: number, visitors: number, pending: number, perDay: number) {
  const days = Array.from({ length: 31 }, (_, i) => addDays(day, i - 30));
  const each = (n: number) => days.map(() => n);
  return JSON.stringify({
    day,
    alarmsToday: alarms,
    visitorsToday: visitors,
    offlinePending: pending,
    offlineConflicts: 0,
    recent: {
      days,
      counts: {
        transactions: each(perDay),
        refusals: each(0),
        visitors: each(0),
        alarms: each(0),
        pages: each(0),
        cards: each(0),
      },
    },
  });
}

function withoutFleetSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CARREL_FLEET_TOKEN: _token, CARREL_FLEET_PASSWORD: _password, ...rest } = env;
  return rest;
}

/**
 * `carrel fleet` on `broker`, in TIME_ZONE, once it serves its page; `url` is the page's, as the view
 * prints it (it listens on a port the system gives it: one found free beforehand may be taken by
 * another test's process before the view binds it).
 */
export async function startFleetView(broker: string): Promise<{ view: ChildProcess; url: string }> {
  const view = spawn(process.execPath, [CARREL_CLI, 'fleet', '--broker', broker, '--http-port', '0'], {
    env: { ...withoutFleetSecrets(process.env), TZ: TIME_ZONE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Where the page is on stdout, the log and any error on stderr.
    for (const stream of [view.stdout!, view.stderr!])
      stream.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        const page = /page\s+(http:\S+)\n/.exec(said)?.[1];
        if (page) resolve(page);
      });
    view.once('exit', (code) => reject(new Error(`carrel fleet exited ${code}: ${said}`)));
  });
  return { view, url };
}

export async function stopFleetView(view: ChildProcess | undefined): Promise<void> {
  if (view && view.exitCode === null) {
    view.kill('SIGTERM');
    await once(view, 'exit');
  }
}
